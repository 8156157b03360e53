"""Runs the real `stability-harness` command in a subprocess, with a deadline."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The hostile servers of tests/hostile, as a fixture parametrised by kind (test_discover).
from tests.hostile.test_runs import hostile  # noqa: F401

RUN_DEADLINE_S = 240


@dataclass(frozen=True)
class Finished:
    """Exit code, output and the verdict.json a run left behind (None when it wrote none)."""

    code: int
    stdout: str
    stderr: str
    verdict: dict[str, Any] | None
    out: Path

    def reasons(self, severity: str | None = None) -> list[dict[str, Any]]:
        assert self.verdict is not None
        return [r for r in self.verdict["reasons"] if severity in (None, r["severity"])]

    def suite(self, name: str) -> dict[str, Any]:
        assert self.verdict is not None
        (found,) = [s for s in self.verdict["suites"] if s["name"] == name]
        return found


def harness(
    *args: str, out: Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Finished:
    """`python -m harness ARGS --out OUT` (in environment `env`, else this process's),
    bounded by RUN_DEADLINE_S."""
    command = [sys.executable, "-m", "harness", *args]
    if args and args[0] in ("run", "replay"):
        command += ["--out", str(out)]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE_S,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    path = out / "verdict.json"
    verdict = json.loads(path.read_text()) if path.exists() else None
    return Finished(proc.returncode, proc.stdout, proc.stderr, verdict, out)
