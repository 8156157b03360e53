"""A run's waits for a frame that never comes: the first test waits, the others name it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import Deviation
from harness.run.results import read_results

from ..extra_suite import install_suite
from ..wire.partial_server import UNANSWERED, partial_server_thread

FIRST = "extra_suite::test_waits::test_first"
SECOND = "extra_suite::test_waits::test_second"
CAUSE = f"no direct reply to a {UNANSWERED} frame within 2 s"
SUITE = {
    "test_waits.py": f"""
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_first(connect):
            client = await connect()
            await client.request({UNANSWERED!r}, {{"thread_id": "t-1"}}, within=2.0)

        async def test_second(connect):
            client = await connect()
            await client.request({UNANSWERED!r}, {{"thread_id": "t-2"}}, within=2.0)

        async def test_answered(connect):
            client = await connect()
            assert (await client.request("ping"))["type"] == "pong"
    """,
}


def run(pytester: pytest.Pytester, package: Path, url: str, *args: str) -> Any:
    return pytester.runpytest_subprocess(
        str(package),
        "--rootdir",
        str(package.parent.parent),
        "-p",
        "no:cacheprovider",
        f"--harness-target={url}",
        "--harness-jwt-secret=cause-ledger-secret-0123456789abcdef",
        *args,
    )


def test_second_test_and_reruns_name_the_first(pytester: pytest.Pytester, extra_site: Path) -> None:
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    with partial_server_thread() as url:
        run(pytester, package, url, "--harness-out", str(out), "--reruns", "1")
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [x for x in lines if x["kind"] == "cause"] == [
        {"kind": "cause", "key": f"reply:{UNANSWERED}", "test": FIRST, "message": CAUSE}
    ]
    attempts = {
        test: [(x["outcome"], x["message"]) for x in lines if x.get("id") == test]
        for test in (FIRST, SECOND, "extra_suite::test_waits::test_answered")
    }
    first, rerun = attempts[FIRST]
    assert first[0] == "failed" and "same cause" not in first[1]
    # Its rerun names its earlier attempt, not itself as if it were another test.
    assert rerun[0] == "failed" and rerun[1].startswith(
        f"same cause as this test's earlier attempt: {CAUSE}"
    ), rerun[1]
    # A failure from a cause an earlier test met is final: no rerun waits for it again.
    assert [outcome for outcome, _ in attempts[SECOND]] == ["failed"]
    for _, message in attempts[SECOND]:
        assert message.startswith(f"same cause as {FIRST}: {CAUSE}"), message
    assert attempts["extra_suite::test_waits::test_answered"] == [("passed", "")]
    # The cause travels as a field of each attempt that failed from it, not only as text.
    keys = {
        test: [x.get("cause_key") for x in lines if x.get("id") == test]
        for test in (FIRST, SECOND, "extra_suite::test_waits::test_answered")
    }
    assert keys == {
        FIRST: [None, f"reply:{UNANSWERED}"],
        SECOND: [f"reply:{UNANSWERED}"],
        "extra_suite::test_waits::test_answered": [None],
    }
    # First seen or met again, each says how it failed with the same deviation.
    missed = {"key": f"missed:reply:{UNANSWERED}", "title": CAUSE}
    assert [x.get("deviation") for x in lines if x.get("id") in (FIRST, SECOND)] == [missed] * 3
    log = read_results(out / "results.jsonl")
    assert log.causes == [{"key": f"reply:{UNANSWERED}", "test": FIRST, "message": CAUSE}]
    assert [a.cause_key for a in log.attempts[SECOND]] == [f"reply:{UNANSWERED}"]


def test_without_an_output_folder_the_ledger_lives_in_the_process(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    package = install_suite(extra_site, SUITE)
    with partial_server_thread() as url:
        result = run(pytester, package, url)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([f"*same cause as {FIRST}: {CAUSE}*"])


def test_a_stale_ledger_of_an_earlier_run_is_not_read(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    out.mkdir()
    stale = {"key": f"reply:{UNANSWERED}", "test": "other::old::test", "message": "old"}
    (out / "causes.jsonl").write_text(json.dumps(stale) + "\n")
    with partial_server_thread() as url:
        run(pytester, package, url, "--harness-out", str(out))
    causes = read_results(out / "results.jsonl").causes
    assert [c["test"] for c in causes] == [FIRST]


def test_attempts_carry_how_they_failed_and_the_judge_makes_one_cause_of_them(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    """A server whose first frame is a notice: every test that connects fails alike, and
    results.jsonl says so as a field of each attempt (what the verdict's causes group)."""
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    with partial_server_thread() as url:
        run(pytester, package, url.replace("/ws", "/notice"), "--harness-out", str(out))
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    deviation = {
        "key": "unexpected-frame:connection_established:system_message",
        "title": "the first frame after the handshake is a system_message frame, "
        "not connection_established",
    }
    attempts = {x["id"]: (x["outcome"], x.get("deviation")) for x in lines if x.get("id")}
    assert attempts == {
        FIRST: ("failed", deviation),
        SECOND: ("failed", deviation),
        "extra_suite::test_waits::test_answered": ("failed", deviation),
    }
    read = read_results(out / "results.jsonl").attempts
    assert {i: [a.deviation for a in read[i]] for i in read} == {
        i: [Deviation(deviation["key"], deviation["title"])] for i in attempts
    }
