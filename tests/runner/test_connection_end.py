"""A 1011 or a dropped connection fails the test wherever it happens, also after its last check."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.results import read_results
from harness.verdict.records import Outcome

from ..extra_suite import install_suite

RUN = "extra_suite::test_ends::test_run_to_completion"
PING = "extra_suite::test_ends::test_one_ping"
REFUSED = "extra_suite::test_ends::test_bad_token_is_refused"
SUITE = {
    "test_ends.py": """
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_run_to_completion(connect):
            client = await connect()
            ack = await client.request("user_message", {"content": "2+3"})
            events = await client.collect_run(ack["run_id"])
            assert events[-1]["type"] == "agent_completed"

        async def test_one_ping(connect):
            client = await connect()
            assert (await client.request("ping"))["type"] == "pong"

        async def test_bad_token_is_refused(connect):
            client = await connect(token="not-a-jwt", established=False)
            frame = await client.recv(within=3.0)
            assert (frame["type"], frame["error_code"]) == ("error", "AUTH_FAILED")
            assert await client.wait_closed(within=3.0) == 1008
    """,
}


def outcomes(pytester: pytest.Pytester, extra_site: Path, *defects: str) -> dict[str, object]:
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    args = [f"--harness-defect={d}" for d in defects]
    pytester.runpytest_subprocess(
        str(package),
        "--rootdir",
        str(package.parent.parent),
        "-p",
        "no:cacheprovider",
        "--harness-out",
        str(out),
        *args,
    )
    log = read_results(out / "results.jsonl")
    return {test: [(a.outcome, a.message) for a in log.attempts[test]] for test in log.attempts}


def test_clean_server_passes_expected_closes_included(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    got = outcomes(pytester, extra_site)
    assert got == {
        RUN: [(Outcome.PASSED, "")],
        PING: [(Outcome.PASSED, "")],
        REFUSED: [(Outcome.PASSED, "")],
    }


def test_1011_after_the_last_check_fails_at_teardown(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    got = outcomes(pytester, extra_site, "late-1011")
    ((outcome, message),) = got[RUN]
    assert outcome is Outcome.FAILED
    assert message.startswith("teardown: ")
    assert "the server closed the connection with 1011 (internal error) after the test's" in message
    assert got[PING] == [(Outcome.PASSED, "")]
    assert got[REFUSED] == [(Outcome.PASSED, "")]


def test_drop_without_close_frame_fails_at_teardown(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    got = outcomes(pytester, extra_site, "drop-without-close")
    ((outcome, message),) = got[PING]
    assert outcome is Outcome.FAILED
    assert "the connection was dropped without a close frame" in message
    assert got[RUN] == [(Outcome.PASSED, "")]
    assert got[REFUSED] == [(Outcome.PASSED, "")]


def test_teardown_check_is_a_failure_a_teardown_crash_an_error(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    package = install_suite(
        extra_site,
        {
            "test_teardowns.py": """
                import pytest

                @pytest.fixture
                def checked_at_the_end():
                    yield
                    assert False, "the target's state at the end: expected 0, observed 1"

                @pytest.fixture
                def broken_teardown():
                    yield
                    raise RuntimeError("a bug of the suite")

                def test_target_fails_late(checked_at_the_end):
                    pass

                def test_suite_breaks_late(broken_teardown):
                    pass
            """,
        },
    )
    out = pytester.path / "out"
    pytester.runpytest_subprocess(
        str(package),
        "--rootdir",
        str(package.parent.parent),
        "-p",
        "no:cacheprovider",
        "--harness-out",
        str(out),
    )
    log = read_results(out / "results.jsonl")
    (late,) = log.attempts["extra_suite::test_teardowns::test_target_fails_late"]
    (broken,) = log.attempts["extra_suite::test_teardowns::test_suite_breaks_late"]
    assert (late.outcome, late.message) == (
        Outcome.FAILED,
        "teardown: the target's state at the end: expected 0, observed 1\nassert False",
    )
    assert (broken.outcome, broken.message) == (
        Outcome.ERROR,
        "teardown: RuntimeError: a bug of the suite",
    )
