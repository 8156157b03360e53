"""The pytest phases of a run: the parallel suite phase, the serial performance phase and the
load phase, each a pytest process of its own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rich.console import Console

from harness.report.console import ProgressView
from harness.run.inputs import RunInputs
from harness.run.interruption import LIVE_GROUPS
from harness.run.options import RunOptions
from harness.run.pace import WORKERS_PER_CPU
from harness.run.results import RESULTS_FILE, PlanFile
from harness.run.shard import history_durations, write_durations
from harness.verdict.records import RunError
from harness.wire.redaction import Redactor
from harness.wire.target import EMBEDDED, EMBEDDED_CONVERTER

PHASE_TIMEOUT_GRACE_S = 5.0
PYTEST_INI = """[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
timeout = 120
"""


@dataclass
class Phase:
    """One pytest invocation and what it left behind."""

    number: int
    args: list[str]
    log: Path
    env: dict[str, str] | None = None  # added to the environment (the secrets travel here)
    exit_status: int | None = None
    timed_out: bool = False
    errors: list[RunError] = field(default_factory=list)


# The pytest plugins of anyio and Locust, installed with the targets and bench extras.
UNUSED_PLUGINS = ("anyio", "locust")


def pytest_command(
    phase: int,
    paths: Sequence[Path],
    target_args: Sequence[str],
    out: Path,
    *,
    workers: str = "auto",
    reruns: int | None = None,
    converter: str | None = None,
    extra: Sequence[str] = (),
    shard: str | None = None,
    shard_durations: Path | None = None,
    load: Sequence[str] = (),  # phase 3: the --harness-load-* options
    with_load: bool = False,  # phase 1 of a run of load suites only: their load tests too
) -> list[str]:
    """The pytest command line of one phase (1: parallel, 2: serial performance); with `shard`
    (I/N) the phase runs only that shard's slice, split with the `shard_durations` table."""
    ini = out / "pytest.ini"
    if not ini.exists():
        ini.write_text(PYTEST_INI, encoding="utf-8")
    # Suite paths under one rootdir give node ids that stay unique across suites.
    rootdir = os.path.commonpath([str(p.parent) for p in paths])
    # A phase that collects its tests in its own process (no xdist workers) starts without
    # the garbage collector (harness/run/pytest_main.py); xdist's controller collects none.
    xdist = phase == 1 and not with_load
    entry = "pytest" if xdist else "harness.run.pytest_main"
    cmd = [sys.executable, "-m", entry, "-c", str(ini), "--rootdir", rootdir]
    # Python's own tracebacks: a broken target fails many tests, and pytest's long and short
    # styles parse the source file of every entry of every traceback (2/3 of a failing
    # run's CPU time) and print the arguments of each frame (the log is redacted, but it
    # need not hold them); native ones print neither arguments nor locals.
    cmd += ["-p", "no:cacheprovider", "-q", "-rN", "--tb=native", *(str(p) for p in paths)]
    # Pytest plugins that packages beside the harness bring and no suite uses (the suites'
    # async tests are pytest-asyncio's): anyio's alone costs each pytest process, xdist
    # workers included, about 0.15 s of CPU at start.
    cmd += [arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")]
    cmd += [*target_args, "--harness-out", str(out), "--harness-phase", str(phase)]
    if converter:
        cmd += ["--harness-converter", converter]
    if shard:
        cmd += ["--harness-shard", shard]
        if shard_durations is not None:
            cmd += ["--harness-shard-durations", str(shard_durations)]
    if phase == 1 and with_load:
        # One process, one event loop, the tests one after another: the load tests run
        # alone as in phase 3, and are not rerun (a rerun would be another whole crowd).
        cmd += ["-m", "not perf", "-p", "no:xdist", "--benchmark-disable", *load]
    elif phase == 1:
        cmd += ["-m", "not perf and not load", "-n", xdist_workers(workers), "--benchmark-disable"]
        if reruns:
            cmd += ["--reruns", str(reruns)]
    elif phase == 2:
        cmd += ["-m", "perf and not load", "-p", "no:xdist"]
        cmd += ["--benchmark-json", str(out / "benchmark.json")]
    else:
        # Phase 3, the load phase: one process, one event loop, alone, so that it measures
        # the target under its users and not under the harness's other tests.
        cmd += ["-m", "load", "-p", "no:xdist", "--benchmark-disable", *load]
    return [*cmd, *extra]


def xdist_workers(workers: str) -> str:
    """pytest-xdist's `-n` for a `--workers` value: N as given, `auto` WORKERS_PER_CPU per CPU
    (a run resolves `auto` by the target's pace first: harness/run/pace.py)."""
    if workers != "auto":
        return workers
    return str(WORKERS_PER_CPU * (os.cpu_count() or 1))


LOAD_MARK = "pytest.mark.load"


def has_load_tests(suite: Path) -> bool:
    """Whether a suite package marks tests `load`: only then does the load phase start."""
    return any(LOAD_MARK in p.read_text("utf-8", errors="replace") for p in suite.rglob("*.py"))


def load_only(inputs: RunInputs) -> bool:
    """Whether every selected suite has load tests: the run then starts no xdist workers."""
    loaded = [s.path for s in inputs.suites if s.path is not None]
    return bool(loaded) and all(has_load_tests(path) for path in loaded)


def run_phase(
    phase: Phase,
    deadline: float,
    on_progress: Callable[[dict[str, Any]], None] | None,
    results: Path,
) -> None:
    """Run one pytest phase in its own process group, bounded by `deadline` (monotonic)."""
    offset = results.stat().st_size if results.exists() else 0
    env = {**os.environ, **phase.env} if phase.env else None
    with phase.log.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            phase.args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=phase.log.parent,
            env=env,
        )
        # pytest's output passes through here so that no secret or token reaches the log.
        copier = threading.Thread(
            target=_copy_redacted, args=(proc, log, Redactor.from_environment(env)), daemon=True
        )
        copier.start()
        LIVE_GROUPS.add(proc.pid)
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    phase.timed_out = True
                    _stop_group(proc)
                    break
                offset = _tail(results, offset, on_progress)
                time.sleep(0.1)
        except BaseException:
            _stop_group(proc)
            raise
        finally:
            LIVE_GROUPS.discard(proc.pid)
        copier.join(5.0)
        _tail(results, offset, on_progress)
    phase.exit_status = proc.returncode


def _copy_redacted(proc: subprocess.Popen[bytes], log: IO[str], redactor: Redactor) -> None:
    assert proc.stdout is not None
    try:
        with proc.stdout:
            for raw in proc.stdout:
                log.write(redactor.text(raw.decode("utf-8", errors="replace")))
                log.flush()
    except (OSError, ValueError):  # the log was closed: the run is being stopped
        return


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, PHASE_TIMEOUT_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, offset: int, on_progress: Callable[[dict[str, Any]], None] | None) -> int:
    if on_progress is None or not path.exists():
        return offset
    with path.open("rb") as fh:
        fh.seek(offset)
        chunk = fh.read()
    end = chunk.rfind(b"\n") + 1
    for raw in chunk[:end].splitlines():
        try:
            on_progress(json.loads(raw))
        except ValueError:
            continue
    return offset + end


def phase_errors(phase: Phase, max_duration: float) -> list[RunError]:
    """Run-level errors of a phase: time ran out, pytest itself failed."""
    errors: list[RunError] = []
    if phase.timed_out:
        errors.append(
            RunError(
                "timeout",
                f"phase {phase.number} stopped: --max-duration {max_duration:g} s "
                "reached before every planned test ran",
            )
        )
    elif phase.exit_status in (2, 3, 4):
        what = {2: "was interrupted", 3: "hit an internal error", 4: "rejected its arguments"}
        errors.append(
            RunError(
                "internal",
                f"pytest phase {phase.number} {what[phase.exit_status]} "
                f"(exit {phase.exit_status}): {_log_tail(phase.log)}",
            )
        )
    return errors


def _log_tail(log: Path) -> str:
    if not log.exists():
        return "no output"
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    interesting = [ln for ln in lines if "Error" in ln or "error" in ln] or lines
    return interesting[-1][:300] if interesting else "no output"


class Progress:
    """Feeds results.jsonl lines, as they are appended, to the console's progress view."""

    def __init__(self, console: Console, quiet: bool) -> None:
        self._console = console
        self._quiet = quiet
        self._view: ProgressView | None = None
        self._plan: list[tuple[str, int]] = []

    def __call__(self, line: dict[str, Any]) -> None:
        if self._quiet:
            return
        if line.get("kind") == "plan":
            self._plan.append((line["suite"], len(line["tests"])))
        elif line.get("kind") == "attempt":
            if self._view is None:
                self._view = ProgressView(self._console, self._plan)
                self._view.__enter__()
            self._view.advance(line["suite"], line["id"], line["outcome"], line["duration_s"])

    def close(self) -> None:
        """End the live display of this phase."""
        if self._view is not None:
            self._view.__exit__(None, None, None)
        self._view = None
        self._plan = []


def run_phases(
    inputs: RunInputs,
    target_args: list[str],
    out: Path,
    deadline: float,
    console: Console,
    env: dict[str, str] | None = None,
) -> list[RunError]:
    """Phase 1 (parallel suites), phase 2 (serial performance tests), then phase 3 (load)."""
    options = inputs.options
    loaded = [s.path for s in inputs.suites if s.path is not None]
    if not loaded:
        return []
    # The embedded target's own normaliser is the converter under test unless one is given.
    embedded = options.target == EMBEDDED
    errors: list[RunError] = []
    progress = Progress(console, options.quiet)
    durations = shard_durations(inputs, out) if inputs.shard is not None else None
    crowded = [path for path in loaded if has_load_tests(path)]
    # Only load suites selected: phase 1 holds few tests besides their load tests (none,
    # for the built-in load suite), so it runs them all, its load tests too, in one process
    # (no xdist workers, no pytest session of phase 3): every test still runs, one after
    # another, and the load tests alone as in phase 3.
    alone = len(crowded) == len(loaded)
    for number in (1, 2, 3) if crowded and not alone else (1, 2):
        if number == 2 and PlanFile.serial_tests(out) == 0:
            continue  # no performance test planned: no pytest session started for none
        args = pytest_command(
            number,
            crowded if number == 3 else loaded,
            target_args,
            out,
            workers=options.workers,
            reruns=options.reruns,
            converter=options.converter or (EMBEDDED_CONVERTER if embedded else None),
            extra=options.extra_pytest_args,
            shard=options.shard,
            shard_durations=durations,
            load=load_arguments(options) if number == 3 or (alone and number == 1) else (),
            with_load=alone and number == 1,
        )
        phase = Phase(number, args, out / f"pytest-phase{number}.log", env=env)
        try:
            # Quiet, nothing shows progress: results.jsonl is not read while it grows.
            run_phase(phase, deadline, None if options.quiet else progress, out / RESULTS_FILE)
        finally:
            progress.close()
        errors += phase_errors(phase, options.max_duration)
        if phase.timed_out:
            break
    return errors


def load_arguments(options: RunOptions) -> list[str]:
    """The load phase's pytest options (suites/load) from the run's options."""
    return [
        f"--harness-load-users={options.users}",
        f"--harness-load-conversations={options.conversations}",
        f"--harness-load-ramp={options.ramp}",
        f"--harness-load-soak={options.soak}",
    ]


def shard_durations(inputs: RunInputs, out: Path) -> Path:
    """Write the durations table every phase of a shard run splits with: --shard-durations
    (read with the inputs), else the history's recorded durations, else none (the split
    balances by count)."""
    options = inputs.options
    if options.shard_durations is not None and inputs.durations is not None:
        source = f"file {options.shard_durations.name}"
        return write_durations(out, source, inputs.durations)
    if options.history is not None:
        found = history_durations(options.history)
        if found:
            return write_durations(out, f"history {options.history.name}", found)
    return write_durations(out, "none", {})
