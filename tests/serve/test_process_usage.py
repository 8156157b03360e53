"""The RSS and CPU of a started target, read from /proc: one process, or its whole group."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.process_usage import Sampler, usage

# Each child holds about 40 MB resident, so that a group of three is told apart from one.
HOLD = "b = bytearray(40 * 1024 * 1024); import time; time.sleep(30)"
HELD_KB = 40 * 1024


@pytest.fixture
def group() -> Iterator[subprocess.Popen[bytes]]:
    """A shell leading its own process group, with two Python children that hold 40 MB each."""
    child = f"{sys.executable} -c '{HOLD}'"
    leader = subprocess.Popen(
        ["/bin/sh", "-c", f"{child} & {child} & wait"],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        yield leader
    finally:
        os.killpg(leader.pid, 9)
        leader.wait(10)


def test_a_group_leader_counts_its_whole_group(group: subprocess.Popen[bytes]) -> None:
    """The leader of a process group: its children's memory counts (two times 40 MB)."""
    deadline = time.monotonic() + 20.0
    found = usage(group.pid)
    while (found is None or found.rss_kb < 2 * HELD_KB) and time.monotonic() < deadline:
        time.sleep(0.2)
        found = usage(group.pid)
    assert found is not None and found.rss_kb >= 2 * HELD_KB, found


def test_a_member_of_a_group_counts_alone(group: subprocess.Popen[bytes]) -> None:
    """A child of the group (not its leader): itself only, one 40 MB not two; a process
    that is gone reads as None."""
    children = _children(group.pid)
    assert len(children) == 2, children
    deadline = time.monotonic() + 20.0
    found = usage(children[0])
    while (found is None or found.rss_kb < HELD_KB) and time.monotonic() < deadline:
        time.sleep(0.2)
        found = usage(children[0])
    assert found is not None and HELD_KB <= found.rss_kb < 2 * HELD_KB, found
    gone = subprocess.Popen(["/bin/true"])
    gone.wait(10)
    assert usage(gone.pid) is None
    assert usage(None) is None


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (waiting until the shell started both)."""
    deadline = time.monotonic() + 10.0
    while True:
        found = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    text = Path(f"/proc/{name}/stat").read_text()
                except OSError:
                    continue
                if int(text[text.rfind(")") + 2 :].split()[1]) == pid:
                    found.append(int(name))
        if len(found) >= 2 or time.monotonic() > deadline:
            return sorted(found)
        time.sleep(0.1)


def test_the_sampler_summarises_the_run(group: subprocess.Popen[bytes]) -> None:
    """Sampled every 0.1 s for a while: a peak RSS of both children and a CPU total."""
    sampler = Sampler(group.pid, every_s=0.1)
    time.sleep(1.5)
    summary = sampler.stop()
    assert summary["pid"] == group.pid
    assert summary["samples"] >= 5
    assert summary["rss_kb_max"] >= 2 * HELD_KB
    assert summary["cpu_s"] >= 0 and 0 <= summary["cpu_share_max"] <= 4
