"""End to end: the gate on a real Chainlit server (docs/TARGETS.md "Chainlit").

`stability-harness run --serve` starts the project's own Chainlit app
(tests/targets/chainlit_app/app.py: a deterministic fake model, a tool step, a
streamed answer) with `chainlit run --headless`, in a folder of its own (Chainlit
writes its config there), and judges it through the built-in `chainlit` profile over
socket.io. The clean app is APPROVED; each broken variant (CHAINLIT_APP_DEFECT) is
NOT_APPROVED naming the rule it breaks.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import RUN_DEADLINE_S, Finished, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

APP = Path(__file__).parent / "chainlit_app" / "app.py"
CHAINLIT = Path(sys.executable).parent / "chainlit"
TARGET = "ws://127.0.0.1:{port}/ws/socket.io"
GATE = ("--profile", "chainlit", "-n", "2", "--quiet", "--no-history")

# Importing chainlit writes its config into the working folder: only its command is used.
if not CHAINLIT.exists():
    pytest.skip("chainlit is not installed (pip install -e .[targets])", allow_module_level=True)


def gate(tmp_path: Path, *extra: str, defect: str = "") -> Finished:
    """The gate over the app served from a copy in `tmp_path` (`defect`: its variant)."""
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(APP, folder / "app.py")
    command = (
        f"cd {shlex.quote(str(folder))} && exec {shlex.quote(str(CHAINLIT))} run app.py "
        "--headless --host 127.0.0.1 --port {port}"
    )
    env = {**os.environ, "CHAINLIT_APP_DEFECT": defect}
    out = tmp_path / "out"
    return harness("run", "--serve", command, "--target", TARGET, *GATE, *extra, out=out, env=env)


def rule_status(run: Finished, rule: str) -> str:
    assert run.verdict is not None, run.stdout + run.stderr
    (found,) = [r for r in run.verdict["rules"] if r["id"] == rule]
    return str(found["status"])


def test_the_clean_chainlit_app_is_approved(tmp_path: Path) -> None:
    run = gate(tmp_path)
    assert run.verdict is not None, run.stdout + run.stderr
    assert (run.code, run.verdict["verdict"]) == (0, "APPROVED"), run.stdout + run.stderr
    for rule in (
        "4.turn.one-terminal",
        "4.turn.closed-at-completed",
        "4.turn.text-reconstructs",
        "4.turn.sessions-isolated",
        "6.close.declared-codes",
        "6.close.shutdown-exits",
    ):
        assert rule_status(run, rule) == "verified", rule
    # No login: the rules of refusing tokens are not applicable, not verified; nor is
    # chat-agent/1's shutdown code (uvicorn closes with 1012, docs/TARGETS.md).
    assert rule_status(run, "1.auth.refuse.missing") == "not_applicable"
    assert rule_status(run, "6.close.shutdown-1001") == "not_applicable"
    usage = run.verdict["environment"]["target_process"]
    assert usage["samples"] >= 1 and usage["rss_kb_max"] > 1000, usage


@pytest.mark.parametrize(
    ("defect", "rule"),
    [
        ("tool-never-ends", "4.turn.closed-at-completed"),
        ("second-task-end", "4.turn.one-terminal"),
        ("leak", "4.turn.sessions-isolated"),
    ],
)
def test_a_broken_chainlit_app_is_not_approved_naming_its_rule(
    tmp_path: Path, defect: str, rule: str
) -> None:
    run = gate(tmp_path, "--suite", "agent_events", defect=defect)
    assert run.verdict is not None, run.stdout + run.stderr
    assert (run.code, run.verdict["verdict"]) == (1, "NOT_APPROVED"), run.stdout + run.stderr
    assert rule_status(run, rule) == "violated", run.stdout
