"""The resident memory and CPU time of a target the harness started (Linux /proc).

`usage(pid)` reads one process, and when that process leads a process group (a served
command runs in a group of its own: a shell and the server it started) every process of
its group. `Sampler` reads it once a second in a thread for a whole run; the run's
verdict keeps the summary (`environment.target_process`).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

SAMPLE_EVERY_S: Final = 1.0
_PAGE_KB: Final = os.sysconf("SC_PAGE_SIZE") / 1024
_TICKS: Final = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Usage:
    """Resident set size (kB) and CPU time used so far (user + system, seconds)."""

    rss_kb: float
    cpu_s: float


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state is field 0); None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _of(fields: list[str]) -> Usage:
    return Usage(int(fields[21]) * _PAGE_KB, (int(fields[11]) + int(fields[12])) / _TICKS)


def usage(pid: int | None) -> Usage | None:
    """The usage of `pid` (and of its process group when it leads one); None when unknown."""
    if pid is None:
        return None
    fields = _stat(pid)
    if fields is None:
        return None
    if int(fields[2]) != pid:  # not a group leader: this process alone
        return _of(fields)
    rss = cpu = 0.0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        member = _stat(int(name))
        if member is not None and int(member[2]) == pid:
            one = _of(member)
            rss, cpu = rss + one.rss_kb, cpu + one.cpu_s
    return Usage(rss, cpu)


class Sampler:
    """Samples `usage(pid)` every SAMPLE_EVERY_S in a daemon thread until `stop`."""

    def __init__(self, pid: int, every_s: float = SAMPLE_EVERY_S) -> None:
        self.pid = pid
        self._every_s = every_s
        self._samples: list[tuple[float, Usage]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="target-usage", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            found = usage(self.pid)
            if found is not None:
                self._samples.append((time.monotonic(), found))
            if self._done.wait(self._every_s):
                return

    def stop(self) -> dict[str, Any]:
        """Stop sampling; the summary: samples, peak and last RSS, CPU seconds, peak CPU share."""
        self._done.set()
        self._thread.join(self._every_s + 1.0)
        samples = list(self._samples)
        summary: dict[str, Any] = {"pid": self.pid, "samples": len(samples)}
        if not samples:
            return summary
        peak = 0.0
        for (t0, u0), (t1, u1) in itertools.pairwise(samples):
            if t1 > t0:
                peak = max(peak, (u1.cpu_s - u0.cpu_s) / (t1 - t0))
        summary.update(
            rss_kb_max=round(max(u.rss_kb for _, u in samples)),
            rss_kb_last=round(samples[-1][1].rss_kb),
            cpu_s=round(samples[-1][1].cpu_s - samples[0][1].cpu_s, 3),
            cpu_share_max=round(peak, 3),
        )
        return summary
