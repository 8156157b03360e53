"""The verdict and exit code of the clean reference server and of each defect, as a table.

    python benchmarks/verdict_matrix.py [-n auto]

Runs `stability-harness run` once clean and once per defect of the catalogue
(PROTOCOL.md section 8) and prints a Markdown table: verdict, exit code, the
suites with blocker reasons, the suites the catalogue names, and wall time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.reference.defects import CATALOGUE

RUN_DEADLINE_S = 600


def run(defect: str | None, workers: str, out: Path) -> tuple[str, int, list[str], float]:
    """Verdict, exit code, suites with blocker reasons and seconds of one run."""
    command = [sys.executable, "-m", "harness", "run", "--quiet", "-n", workers, "--out", str(out)]
    if defect is not None:
        command += ["--defect", defect]
    started = time.perf_counter()
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=RUN_DEADLINE_S, stdin=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - started
    verdict = json.loads((out / "verdict.json").read_text())
    blocked = sorted({r["suite"] for r in verdict["reasons"] if r["severity"] == "blocker"})
    return verdict["verdict"], proc.returncode, blocked, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--workers", default="auto")
    args = parser.parse_args()
    print("| target | verdict | exit | blocker reasons in | catalogue names | wall s |")
    print("|---|---|---:|---|---|---:|")
    rows = [(None, ())] + [(d.name, d.caught_by) for d in CATALOGUE]
    with tempfile.TemporaryDirectory() as tmp:
        for defect, named in rows:
            verdict, code, blocked, seconds = run(
                defect, args.workers, Path(tmp) / (defect or "clean")
            )
            print(
                f"| {defect or 'clean'} | {verdict} | {code} | {', '.join(blocked) or '-'} | "
                f"{', '.join(named) or '-'} | {seconds:.1f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
