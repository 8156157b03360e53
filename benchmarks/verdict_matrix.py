"""The verdict, exit code and wall time of the clean reference server and of each defect.

    python benchmarks/verdict_matrix.py [-n auto] [--profile NAME] [--only DEFECT ...]
        [--keep DIR]

Runs `stability-harness run` once clean and once per defect of the catalogue
(`harness.reference.defects.CATALOGUE`, so a new defect is measured as soon as
it is listed) and prints a Markdown table: verdict, exit code, the suites with
blocker reasons, the suites the catalogue names, the causes the run recorded
(waits that timed out, once each: results.jsonl `cause` lines), the wall time,
its ratio to the clean run's, and the CPU time of the run's processes (the
runner, pytest and its workers, the embedded target: a figure that other jobs
on a shared machine disturb far less than the wall time). The last line names
the slowest defect run against the target of at most RATIO_TARGET times the
clean run. `--profile` runs the gate in that dialect (default chat-agent/1): the defects
the reference server of that dialect serves are run, the others listed. For a defect
of the chat-agent family every run names its rules broken (the `violated` rules).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.reference.defects import CATALOGUE, NAMES
from harness.reference.dialect import family_of as chosen_family
from harness.wire.profile import load_profile

RUN_DEADLINE_S = 600
RATIO_TARGET = 3.0


def run(
    defect: str | None, workers: str, out: Path, profile: str
) -> tuple[str, int, list[str], int, float, float, list[str]]:
    """Verdict, exit code, suites with blocker reasons, causes, wall and CPU seconds of a
    run, and the rules it found violated."""
    command = [sys.executable, "-m", "harness", "run", "--quiet", "-n", workers, "--out", str(out)]
    command += ["--profile", profile, "--no-history"]
    if defect is not None:
        command += ["--defect", defect]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_DEADLINE_S, stdin=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    verdict = json.loads((out / "verdict.json").read_text())
    blocked = sorted({r["suite"] for r in verdict["reasons"] if r["severity"] == "blocker"})
    violated = [r["id"] for r in verdict["rules"] if r["status"] == "violated"]
    return verdict["verdict"], proc.returncode, blocked, _causes(out), seconds, cpu, violated


def _causes(out: Path) -> int:
    results = out / "results.jsonl"
    if not results.exists():
        return 0
    return sum('"kind":"cause"' in line for line in results.read_text().splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--workers", default="auto")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="these defects only")
    parser.add_argument("--keep", type=Path, help="keep each run's output folder here")
    parser.add_argument("--profile", default="chat-agent/1", help="the dialect of the runs")
    args = parser.parse_args()
    # A defect shows only on a server of its dialect that has what it breaks (a dialect's
    # own statement): the others are listed, not run.
    profile = load_profile(args.profile)
    chosen = [d for d in CATALOGUE if not args.only or d.name in args.only]
    rows = [(None, ())] + [(d.name, d.caught_by) for d in chosen if d.applies_to(profile)]
    skipped = [d for d in chosen if not d.applies_to(profile)]
    print(
        "| target | verdict | exit | blocker reasons in | catalogue names | causes | wall s "
        "| x clean | CPU s | rules violated |"
    )
    print("|---|---|---:|---|---|---:|---:|---:|---:|---|")
    clean_s = 0.0
    slowest: tuple[float, str] = (0.0, "-")
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for defect, named in rows:
            verdict, code, blocked, causes, seconds, cpu, violated = run(
                defect, args.workers, base / (defect or "clean"), args.profile
            )
            if defect is None:
                clean_s = seconds
            else:
                slowest = max(slowest, (seconds, defect))
            print(
                f"| {defect or 'clean'} | {verdict} | {code} | {', '.join(blocked) or '-'} | "
                f"{', '.join(named) or '-'} | {causes} | {seconds:.1f} | "
                f"{seconds / clean_s:.1f} | {cpu:.1f} | {', '.join(violated) or '-'} |",
                flush=True,
            )
    listed = [d for d in skipped if d.serves == chosen_family(profile)]
    for defect in listed:
        needs = ", ".join(profile.lacks(defect.needs))
        print(f"| {defect.name} | not run: {profile.name} lacks {needs} | | | | | | | | |")
    ratio = slowest[0] / clean_s
    met = "met" if ratio <= RATIO_TARGET else "MISSED"
    print(
        f"\nslowest defect run: {slowest[1]} {slowest[0]:.1f} s = {ratio:.1f} x the clean "
        f"run's {clean_s:.1f} s (target at most {RATIO_TARGET:g} x: {met})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
