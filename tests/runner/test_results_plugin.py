"""The plugin records every planned test and every attempt in results.jsonl (black-box)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.run.results import read_results
from harness.verdict.records import Outcome

from ..extra_suite import install_suite

SUITE = {
    "test_outcomes.py": """
        import pytest
        from harness.errors import CapabilityMissing

        pytestmark = pytest.mark.asyncio

        async def test_pong(connect):
            client = await connect()
            reply = await client.request("ping", message_id="m-1")
            assert reply["type"] == "pong"

        async def test_wrong_expectation(connect):
            client = await connect()
            reply = await client.request("ping", message_id="m-2")
            assert reply["type"] == "ack", f"expected ack, observed {reply['type']}"

        async def test_cannot_judge():
            raise CapabilityMissing("needs 3 users, 1 given")

        async def test_skipped():
            pytest.skip("not applicable here")

        async def test_latency(metrics):
            for value in (1.5, 2.5, 3.5):
                metrics.record("demo_latency_ms", value, "ms")
    """,
}


def lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


def run_suite(pytester: pytest.Pytester, package: Path, out: Path, *args: str) -> Any:
    return pytester.runpytest_subprocess(
        str(package),
        "--rootdir",
        str(package.parent.parent),
        "-p",
        "no:cacheprovider",
        "--harness-out",
        str(out),
        *args,
    )


def test_plan_then_one_attempt_per_test(pytester: pytest.Pytester, extra_site: Path) -> None:
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    run_suite(pytester, package, out)
    recorded = lines(out)
    assert recorded[0]["kind"] == "plan"
    assert recorded[0]["suite"] == "extra_suite"
    assert recorded[0]["tests"] == [
        "extra_suite::test_outcomes::test_pong",
        "extra_suite::test_outcomes::test_wrong_expectation",
        "extra_suite::test_outcomes::test_cannot_judge",
        "extra_suite::test_outcomes::test_skipped",
        "extra_suite::test_outcomes::test_latency",
    ]
    outcomes = {
        r["id"].rsplit("::", 1)[1]: r["outcome"] for r in recorded if r["kind"] == "attempt"
    }
    assert outcomes == {
        "test_pong": "passed",
        "test_wrong_expectation": "failed",
        "test_cannot_judge": "error",
        "test_skipped": "skipped",
        "test_latency": "passed",
    }
    assert recorded[-1] == {"kind": "session", "phase": 1, "exitstatus": 1}


def test_failure_carries_message_and_transcript(
    pytester: pytest.Pytester, extra_site: Path
) -> None:
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    run_suite(pytester, package, out)
    log = read_results(out / "results.jsonl")
    attempt = log.attempts["extra_suite::test_outcomes::test_wrong_expectation"][0]
    assert attempt.outcome is Outcome.FAILED
    assert "expected ack, observed pong" in attempt.message
    kinds = [(f["dir"], f["type"]) for f in attempt.transcript]
    assert ("recv", "connection_established") in kinds
    assert ("send", "ping") in kinds
    assert ("recv", "pong") in kinds
    error = log.attempts["extra_suite::test_outcomes::test_cannot_judge"][0]
    assert error.message == "CapabilityMissing: needs 3 users, 1 given"
    skipped = log.attempts["extra_suite::test_outcomes::test_skipped"][0]
    assert skipped.message == "not applicable here"


@pytest.mark.slow
def test_metric_samples_are_kept(pytester: pytest.Pytester, extra_site: Path) -> None:
    package = install_suite(extra_site, SUITE)
    out = pytester.path / "out"
    run_suite(pytester, package, out, "-n", "2")
    (metric,) = read_results(out / "results.jsonl").metrics()
    assert (metric.name, metric.unit, metric.suite) == ("demo_latency_ms", "ms", "extra_suite")
    assert metric.samples == (1.5, 2.5, 3.5)
    assert metric.tests == ("extra_suite::test_outcomes::test_latency",)


def test_every_rerun_attempt_is_recorded(pytester: pytest.Pytester, extra_site: Path) -> None:
    counter = pytester.path / "attempts.txt"
    package = install_suite(
        extra_site,
        {
            "test_flaky.py": f"""
                from pathlib import Path

                def test_fails_once():
                    counter = Path({str(counter)!r})
                    seen = int(counter.read_text()) if counter.exists() else 0
                    counter.write_text(str(seen + 1))
                    assert seen > 0, "first attempt fails"
            """,
        },
    )
    out = pytester.path / "out"
    run_suite(pytester, package, out, "--reruns", "2")
    attempts = [r for r in lines(out) if r["kind"] == "attempt"]
    assert [(a["outcome"], a["final"]) for a in attempts] == [("failed", False), ("passed", True)]
    assert "first attempt fails" in attempts[0]["message"]


@pytest.mark.slow
def test_crashed_worker_is_a_harness_error(pytester: pytest.Pytester, extra_site: Path) -> None:
    package = install_suite(
        extra_site,
        {
            "test_crash.py": """
                import os

                def test_kills_its_worker():
                    os._exit(17)

                def test_survivor():
                    assert True
            """,
        },
    )
    out = pytester.path / "out"
    run_suite(pytester, package, out, "-n", "2")
    log = read_results(out / "results.jsonl")
    crashed = log.attempts["extra_suite::test_crash::test_kills_its_worker"]
    assert [a.outcome for a in crashed] == [Outcome.ERROR]
    assert "crashed" in crashed[0].message
    assert [e.cause for e in log.run_errors] == ["worker_crash"]
    assert log.run_errors[0].tests == ("extra_suite::test_crash::test_kills_its_worker",)
    assert [a.outcome for a in log.attempts["extra_suite::test_crash::test_survivor"]] == [
        Outcome.PASSED
    ]


def test_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(
        '{"kind":"plan","phase":1,"suite":"s","tests":["s::m::a","s::m::b"]}\n'
        '{"kind":"attempt","phase":1,"suite":"s","id":"s::m::a","outcome":"passed",'
        '"final":true,"duration_s":0.5,"message":"","transcript":null,"metrics":[]}\n'
        '{"kind":"attempt","phase":1,"suite":"s","id":"s::m::b","outc'
    )
    log = read_results(path)
    assert log.planned == {"s": ["s::m::a", "s::m::b"]}
    assert list(log.attempts) == ["s::m::a"]


def test_bad_converter_is_a_usage_error(pytester: pytest.Pytester, extra_site: Path) -> None:
    package = install_suite(extra_site, SUITE)
    result = run_suite(
        pytester, package, pytester.path / "out", "--harness-converter", "nosuchmodule:f"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--converter 'nosuchmodule:f': cannot import nosuchmodule*"])
