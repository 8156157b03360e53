"""The message_routing and security suites pass on the clean server and catch their defects."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# Planned items of each suite (parametrized cases included); a change here is deliberate.
PLANNED = {"message_routing": 54, "security": 39}
# Defects whose failing tests wait out their reply deadlines: spread over two workers.
WAITING_DEFECTS = ("swallow-bad-json", "stats-drift")


def run_suite(pytester: pytest.Pytester, suite: str, *defects: str) -> pytest.RunResult:
    """Run one suite against the embedded server with `defects` switched on, in a subprocess."""
    args = ["--pyargs", f"suites.{suite}", "-p", "no:cacheprovider", "-rf"]
    args += ["-o", "asyncio_default_fixture_loop_scope=function"]
    for defect in defects:
        args += ["--defect", defect]
    if any(defect in WAITING_DEFECTS for defect in defects):
        args += ["-n", "2"]
    return pytester.runpytest_subprocess(*args, timeout=300)


@pytest.mark.parametrize(
    "suite", ["message_routing", "security"], ids=["message_routing", "security"]
)
def test_clean_server_passes_every_test(pytester: pytest.Pytester, suite: str) -> None:
    """Against the clean embedded server every planned test of the suite passes."""
    result = run_suite(pytester, suite)
    assert result.parseoutcomes() == {"passed": PLANNED[suite]}, result.stdout.str()[-3000:]
    assert result.ret == 0


@pytest.mark.parametrize(
    ("suite", "defect", "test", "message"),
    [
        (
            "message_routing",
            "unknown-type-crash",
            "test_unknown_type",
            "*expected*'error_code': 'UNKNOWN_TYPE'*observed 'connection closed with code 1011'*",
        ),
        (
            "message_routing",
            "swallow-bad-json",
            "test_not_json[[]plain-text[]]",
            "*expected*'error_code': 'FORMAT_ERROR'*observed 'no frame within 3 s'*",
        ),
        (
            "message_routing",
            "stats-drift",
            "test_pings_counted",
            "*expected*'messages_routed': 3*observed*'messages_routed': 0*",
        ),
        (
            "security",
            "auth-bypass-header",
            "test_bypass_header_refused[[]forged-header[]]",
            "*expected*AUTH_FAILED*observed*connection_established*",
        ),
        (
            "security",
            "error-leaks-secret",
            "test_auth_failed_frame_discloses_nothing[[]forged[]]",
            "*expected []*observed*the target's signing secret*",
        ),
    ],
    ids=[
        "message_routing-unknown-type-crash",
        "message_routing-swallow-bad-json",
        "message_routing-stats-drift",
        "security-auth-bypass-header",
        "security-error-leaks-secret",
    ],
)
def test_defect_is_caught(
    pytester: pytest.Pytester, suite: str, defect: str, test: str, message: str
) -> None:
    """With the defect on, the named test fails and its message states expected and observed."""
    result = run_suite(pytester, suite, defect)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()[-3000:]
    assert outcomes.get("failed", 0) + outcomes.get("passed", 0) == PLANNED[suite], outcomes
    assert result.ret == 1
    # The failure section of the named test states what was expected and what was observed.
    result.stdout.fnmatch_lines([f"*_ {test} _*", f"E *{message}", f"FAILED *::{test}*"])
