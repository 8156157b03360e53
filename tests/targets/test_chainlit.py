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
GATE = ("-n", "2", "--quiet", "--no-history")
# With login on (docs/TARGETS.md "Chainlit with login"): Chainlit signs its access-token
# JWTs with CHAINLIT_AUTH_SECRET, and the harness mints its users' tokens with it.
LOGIN_PROFILE = APP.parent / "chainlit-login.toml"
LOGIN_POLICY = APP.parent / "login-policy.toml"
SECRET = "chainlit-login-secret-of-the-project-tests-7f3a9c"
PASSWORD = "login-password-of-the-project-tests-51d2"

# Importing chainlit writes its config into the working folder: only its command is used.
if not CHAINLIT.exists():
    pytest.skip("chainlit is not installed (pip install -e .[targets])", allow_module_level=True)


def gate(tmp_path: Path, *extra: str, defect: str = "", login: bool = False) -> Finished:
    """The gate over the app served from a copy in `tmp_path` (`defect`: its variant;
    `login`: with login on, judged through the login profile and its policy)."""
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(APP, folder / "app.py")
    command = (
        f"cd {shlex.quote(str(folder))} && exec {shlex.quote(str(CHAINLIT))} run app.py "
        "--headless --host 127.0.0.1 --port {port}"
    )
    env = {**os.environ, "CHAINLIT_APP_DEFECT": defect}
    profile = ("--profile", "chainlit")
    if login:
        env |= {
            "CHAINLIT_APP_LOGIN": "1",
            "CHAINLIT_AUTH_SECRET": SECRET,
            "CHAINLIT_APP_PASSWORD": PASSWORD,
        }
        profile = ("--profile", str(LOGIN_PROFILE), "--policy", str(LOGIN_POLICY))
        profile += ("--jwt-secret", SECRET)
    out = tmp_path / "out"
    return harness(
        "run", "--serve", command, "--target", TARGET, *profile, *GATE, *extra, out=out, env=env
    )


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


# With login on, each kind of bad token is refused (socket.io's connect_error).
REFUSALS = (
    "1.auth.refuse.missing",
    "1.auth.refuse.malformed",
    "1.auth.refuse.wrong-signature",
    "1.auth.refuse.expired",
    "1.auth.refuse.missing-sub",
    "1.auth.refuse.missing-exp",
    "1.auth.refuse.alg-none",
    "1.auth.no-bypass.cookie",
)


def test_the_chainlit_app_with_login_refuses_every_bad_token(tmp_path: Path) -> None:
    """The JWT in the access-token cookie: the turns run on the harness's tokens, every
    bad token is refused, and neither the secret nor a token shows in the run folder."""
    run = gate(tmp_path, login=True)
    assert run.verdict is not None, run.stdout + run.stderr
    # The one waived deviation: Chainlit accepts an empty identifier (docs/TARGETS.md).
    assert (run.code, run.verdict["verdict"]) == (0, "APPROVED_WITH_CONDITIONS"), run.stdout
    waived = [r for r in run.reasons() if r["rule"] == "waived"]
    assert [t for r in waived for t in r["tests"]] == [
        "security::test_tokens::test_bad_token_refused[empty-sub]"
    ], waived
    for rule in (*REFUSALS, "4.turn.one-terminal", "4.turn.sessions-isolated"):
        assert rule_status(run, rule) == "verified", rule
    # Socket.io refuses with connect_error: no error frame, no close 1008 to judge.
    assert rule_status(run, "6.close.auth-failed-1008") == "not_applicable"
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            text = path.read_text("utf-8", errors="replace")
            assert SECRET not in text and PASSWORD not in text, path
            assert "eyJ" not in text, path  # the start of every JWT (its header, base64url)


def test_a_login_app_that_lets_a_bad_token_in_is_not_approved(tmp_path: Path) -> None:
    """open-door: a connection whose cookie holds no valid JWT is let in as a guest."""
    run = gate(tmp_path, "--suite", "security", defect="open-door", login=True)
    assert run.verdict is not None, run.stdout + run.stderr
    assert (run.code, run.verdict["verdict"]) == (1, "NOT_APPROVED"), run.stdout
    for rule in ("1.auth.refuse.missing", "1.auth.refuse.wrong-signature"):
        assert rule_status(run, rule) == "violated", rule
