"""The timestamp_core and staging_repro suites pass on the clean server and catch their defects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .proof import assert_caught, run_suite

# Planned items of each suite (parametrized cases included); a change here is deliberate.
# timestamp_core: 45 wire cases, 43 converter cases, 1 conversion-time test.
PLANNED = {"timestamp_core": 89, "staging_repro": 5}
CONVERSION_METRIC = "timestamp_conversion_us"
PERF_TEST = "timestamp_core::test_converter::test_converter_time_for_the_staging_string"


def final_attempts(pytester: pytest.Pytester) -> dict[str, dict[str, Any]]:
    """The final attempt of each test in results.jsonl, by test id."""
    lines = (pytester.path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return {r["id"]: r for r in records if r.get("kind") == "attempt" and r.get("final")}


@pytest.mark.parametrize("suite", ["timestamp_core", "staging_repro"])
def test_clean_server_passes_every_test(pytester: pytest.Pytester, suite: str) -> None:
    """Against the clean embedded server every planned test of the suite passes."""
    result = run_suite(pytester, suite)
    assert result.parseoutcomes() == {"passed": PLANNED[suite]}, result.stdout.str()[-3000:]
    assert result.ret == 0
    if suite == "timestamp_core":
        metrics = final_attempts(pytester)[PERF_TEST].get("metrics") or []
        samples = [value for name, value, unit in metrics if name == CONVERSION_METRIC]
        assert len(samples) >= 100, f"expected >= 100 samples, observed {len(samples)}"
        assert {unit for name, _, unit in metrics if name == CONVERSION_METRIC} == {"us"}
        assert all(value > 0 for value in samples), sorted(samples)[:5]


@pytest.mark.parametrize(
    ("suite", "defect", "test", "message"),
    [
        (
            "timestamp_core",
            "iso-timestamp-crash",
            "test_wire.py::test_ping_timestamp_is_normalised[[]iso-zoneless-staging-is-utc[]]",
            "E *expected 'a direct reply on an open connection (never close 1011)', "
            "observed 'connection closed with code 1011'",
        ),
        (
            "timestamp_core",
            "silent-timestamp-fallback",
            "test_wire.py::test_agent_request_with_invalid_timestamp_starts_nothing"
            "[[]user_message-second-60[]]",
            'E *reply to rejected timestamp "2025-09-08T16:50:60Z": '
            "expected \"error INVALID_TIMESTAMP with message_id 'ts-*'\", "
            "observed {'type': 'ack'*",
        ),
        (
            "timestamp_core",
            "naive-local-time",
            "test_wire.py::test_ping_timestamp_is_normalised[[]iso-zoneless-staging-is-utc[]]",
            'E *client_timestamp of the pong to timestamp "2025-09-08T16:50:01.447585": '
            "expected 1757350201.447585, observed 1757368201.447585",
        ),
        (
            "staging_repro",
            "iso-timestamp-crash",
            "test_staging_frame.py::test_staging_frame_is_processed[[]original-frame[]]",
            "E *start_agent with timestamp '2025-09-08T16:50:01.447585' (the staging outage): "
            "expected 'a direct reply on an open connection (never close 1011)', "
            "observed 'connection closed with code 1011'",
        ),
        (
            "staging_repro",
            "naive-local-time",
            "test_staging_frame.py::test_staging_frame_is_processed[[]original-frame[]]",
            "E *reply to start_agent with timestamp '2025-09-08T16:50:01.447585': "
            "expected 'ack with client_timestamp 1757350201.447585', "
            "observed {'type': 'ack'*'client_timestamp': 1757368201.447585*",
        ),
    ],
    ids=[
        "timestamp_core-iso-timestamp-crash",
        "timestamp_core-silent-timestamp-fallback",
        "timestamp_core-naive-local-time",
        "staging_repro-iso-timestamp-crash",
        "staging_repro-naive-local-time",
    ],
)
def test_defect_is_caught(
    pytester: pytest.Pytester, suite: str, defect: str, test: str, message: str
) -> None:
    """With the defect on, the named test fails and its message states expected and observed."""
    result = run_suite(pytester, suite, defect)
    assert_caught(result, PLANNED[suite], test)
    result.stdout.fnmatch_lines([message])


BAD_CONVERTER = '''
def convert(value):
    """Takes anything float() takes: wrong for ISO strings, "NaN" and "1_757_350_201"."""
    return float(value)
'''


def test_converter_cases_catch_a_wrong_converter(pytester: pytest.Pytester) -> None:
    """--converter float: ISO strings are not converted and "NaN" is accepted: both fail."""
    pytester.makepyfile(bad_converter=BAD_CONVERTER)
    result = run_suite(
        pytester,
        "timestamp_core",
        extra=("--converter", "bad_converter:convert", "-k", "test_converter_"),
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 2, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(
        ["FAILED *test_converter_accepts[[]iso-zoneless-staging-is-utc[]]*"]
    )
    result.stdout.fnmatch_lines(["FAILED *test_converter_rejects[[]nan-string[]]*"])
    result.stdout.fnmatch_lines(
        [
            "E *converter('2025-09-08T16:50:01.447585'): expected 1757350201.447585, "
            "observed ?ValueError: could not convert string to float*"
        ]
    )
    result.stdout.fnmatch_lines(
        ["E *converter('NaN'): expected 'ValueError or TypeError', observed nan"]
    )
