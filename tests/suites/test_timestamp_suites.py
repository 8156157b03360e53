"""The timestamp_core and staging_repro suites pass on the clean server and catch their defects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .proof import assert_caught, run_suite

pytestmark = pytest.mark.slow

# Planned items of each suite (parametrized cases included); a change here is deliberate.
# timestamp_core: 24 accepted and 39 rejected classes on the wire, 2 quiet-window tests,
# 1 history test; 22 accepted and 39 rejected classes in the converter, 1 conversion time.
# staging_repro: 5 processed variants, the ping, the second-60 variant.
PLANNED = {"timestamp_core": 128, "staging_repro": 7}
CONVERSION_METRIC = "timestamp_conversion_us"
PERF_TEST = "timestamp_core::test_converter::test_converter_time_for_the_staging_string"
ACCEPTED_TEST = "test_wire.py::test_accepted_timestamp_is_normalised"
REJECTED_TEST = "test_wire.py::test_rejected_timestamp_starts_nothing"
QUIET_TEST = "test_wire.py::test_rejected_agent_requests_start_no_run_in_a_quiet_window"
STAGING_TEST = "test_staging_frame.py::test_staging_frame_is_processed"
ARABIC_INDIC_1757350201 = "\u0661\u0667\u0665\u0667\u0663\u0665\u0660\u0662\u0660\u0661"


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
        attempts = final_attempts(pytester)
        metrics = attempts[PERF_TEST].get("metrics") or []
        samples = [value for name, value, unit in metrics if name == CONVERSION_METRIC]
        assert len(samples) >= 100, f"expected >= 100 samples, observed {len(samples)}"
        assert {unit for name, _, unit in metrics if name == CONVERSION_METRIC} == {"us"}
        assert all(value > 0 for value in samples), sorted(samples)[:5]
        staging = attempts[
            "timestamp_core::test_wire::test_accepted_timestamp_is_normalised[iso-zoneless-utc]"
        ]["evidence"]
        assert staging[0] == {
            "rule": "5.accepted.iso-zoneless-utc",
            "sent": '"2025-09-08T16:50:01.447585"',
            "expected": "1757350201.447585",
            "observed": "1757350201.447585",
        }


@pytest.mark.parametrize(
    ("suite", "defect", "test", "message"),
    [
        (
            "timestamp_core",
            "iso-timestamp-crash",
            f"{ACCEPTED_TEST}[[]iso-zoneless-utc[]]",
            'E *reply to a ping with timestamp "2025-09-08T16:50:01.447585": '
            "expected 'pong with client_timestamp 1757350201.447585', "
            "observed 'connection closed: close code 1011 (internal error)'",
        ),
        (
            "timestamp_core",
            "silent-timestamp-fallback",
            f"{REJECTED_TEST}[[]second-60[]]",
            'E *reply to a ping with rejected timestamp "2025-09-08T16:50:60Z": '
            "expected \"error INVALID_TIMESTAMP with message_id 'ts-*'\", "
            "observed {'type': 'pong'*",
        ),
        (
            "timestamp_core",
            "naive-local-time",
            f"{ACCEPTED_TEST}[[]iso-zoneless-utc[]]",
            "E *client_timestamp of the pong to a ping with timestamp "
            '"2025-09-08T16:50:01.447585": '
            "expected '1757350201.447585', observed '1757368201.447585'",
        ),
        (
            "timestamp_core",
            "round-fraction",
            f"{ACCEPTED_TEST}[[]iso-fraction-truncated[]]",
            "E *client_timestamp of the pong to a ping with timestamp "
            '"2025-09-08T16:50:01.4475859Z": '
            "expected '1757350201.447585', observed '1757350201.447586'",
        ),
        (
            "timestamp_core",
            "rejected-timestamp-starts-run",
            f"{REJECTED_TEST}[[]second-60[]]",
            "E *agent events after ping, start_agent, user_message frames with rejected "
            'timestamps "2016-12-31T23:59:60Z", "2025-09-08T16:50:60Z": '
            "expected 'no agent event (a frame with a rejected timestamp starts no run)', "
            "observed ['agent_started'*",
        ),
        (
            "timestamp_core",
            "rejected-timestamp-starts-run",
            f"{QUIET_TEST}[[]start_agent[]]",
            "E *agent events after start_agent frames with rejected timestamps *: "
            "expected 'no agent event (a frame with a rejected timestamp starts no run)'*",
        ),
        (
            "timestamp_core",
            "agent-rejects-decimal-string",
            f"{ACCEPTED_TEST}[[]decimal-string[]]",
            'E *reply to a user_message with timestamp "1693567801.447585": '
            "expected 'ack with client_timestamp 1693567801.447585', "
            "observed {'type': 'error', 'error_code': 'INVALID_TIMESTAMP'*",
        ),
        (
            "timestamp_core",
            "unicode-digits",
            f"{REJECTED_TEST}[[]non-ascii-digits[]]",
            f'E *reply to a ping with rejected timestamp "{ARABIC_INDIC_1757350201}": '
            "expected \"error INVALID_TIMESTAMP with message_id 'ts-*'\", "
            "observed {'type': 'pong'*'client_timestamp': 1757350201.0*",
        ),
        (
            "timestamp_core",
            "iso-range-by-year",
            f"{ACCEPTED_TEST}[[]iso-epoch[]]",
            'E *reply to a ping with timestamp "1969-12-31T23:00:00-01:00": '
            "expected 'pong with client_timestamp 0.000000', "
            "observed {'type': 'error', 'error_code': 'INVALID_TIMESTAMP'*",
        ),
        (
            "staging_repro",
            "iso-timestamp-crash",
            f"{STAGING_TEST}[[]original-frame[]]",
            "E *start_agent with timestamp '2025-09-08T16:50:01.447585' (the staging outage): "
            "expected 'a direct reply on an open connection (never close 1011)', "
            "observed 'connection closed with code 1011'",
        ),
        (
            "staging_repro",
            "naive-local-time",
            f"{STAGING_TEST}[[]original-frame[]]",
            "E *reply to start_agent with timestamp '2025-09-08T16:50:01.447585': "
            "expected 'ack with client_timestamp 1757350201.447585', "
            "observed {'type': 'ack'*'client_timestamp': 1757368201.447585*",
        ),
        (
            "staging_repro",
            "round-fraction",
            f"{STAGING_TEST}[[]start_agent-7-fraction-digits[]]",
            "E *reply to start_agent with timestamp '2025-09-08T16:50:01.4475859': "
            "expected 'ack with client_timestamp 1757350201.447585', "
            "observed {'type': 'ack'*'client_timestamp': 1757350201.447586*",
        ),
        (
            "staging_repro",
            "rejected-timestamp-starts-run",
            "test_staging_frame.py::test_staging_frame_with_second_60_starts_nothing",
            "E *events after start_agent with rejected timestamp '2025-09-08T16:50:60.447585': "
            "expected \"only the events of the next request's run (the rejected one starts "
            "none)\", observed ['agent_started'*",
        ),
    ],
    ids=[
        "timestamp_core-iso-timestamp-crash",
        "timestamp_core-silent-timestamp-fallback",
        "timestamp_core-naive-local-time",
        "timestamp_core-round-fraction-iso",
        "timestamp_core-rejected-timestamp-starts-run",
        "timestamp_core-rejected-timestamp-starts-run-quiet-window",
        "timestamp_core-agent-rejects-decimal-string",
        "timestamp_core-unicode-digits",
        "timestamp_core-iso-range-by-year",
        "staging_repro-iso-timestamp-crash",
        "staging_repro-naive-local-time",
        "staging_repro-round-fraction",
        "staging_repro-rejected-timestamp-starts-run",
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
        extra=("--harness-converter", "bad_converter:convert", "-k", "test_converter_"),
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 2, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["FAILED *test_converter_accepts[[]iso-zoneless-utc[]]*"])
    result.stdout.fnmatch_lines(["FAILED *test_converter_rejects[[]nan-string[]]*"])
    result.stdout.fnmatch_lines(
        [
            "E *converter('2025-09-08T16:50:01.447585'): expected '1757350201.447585', "
            "observed ?ValueError: could not convert string to float*"
        ]
    )
    result.stdout.fnmatch_lines(
        ["E *converter('NaN'): expected 'ValueError or TypeError', observed nan"]
    )


ROUNDING_CONVERTER = '''
import re

from harness.reference.timestamps import normalise_timestamp


def convert(value):
    """Long fractions rounded, not truncated: ISO ones wrongly, decimal strings by float()."""
    seconds = normalise_timestamp(value)
    if isinstance(value, str) and value.replace(".", "", 1).isdigit():
        return float(value)
    fraction = re.search(r"[.](\\d+)", value) if isinstance(value, str) else None
    if fraction and len(fraction.group(1)) > 6 and fraction.group(1)[6] >= "5":
        return (round(seconds * 1_000_000) + 1) / 1_000_000
    return seconds
'''


def test_converter_cases_compare_exact_microseconds(pytester: pytest.Pytester) -> None:
    """A converter off by one microsecond (rounding long ISO fractions) fails: exact µs.

    The same converter reads long decimal strings with float(), which rounds too: that is
    their value within a microsecond (docs/PROTOCOL.md readings), so those pass.
    """
    pytester.makepyfile(rounding_converter=ROUNDING_CONVERTER)
    result = run_suite(
        pytester,
        "timestamp_core",
        extra=("--harness-converter", "rounding_converter:convert", "-k", "test_converter_"),
    )
    result.stdout.fnmatch_lines(["FAILED *test_converter_accepts[[]iso-fraction-truncated[]]*"])
    result.stdout.fnmatch_lines(
        [
            "E *converter('2025-09-08T16:50:01.4475859Z'): expected '1757350201.447585', "
            "observed '1757350201.447586'"
        ]
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 2, result.stdout.str()[-3000:]  # 7- and 9-digit fractions
    result.stdout.no_fnmatch_line("FAILED *decimal-string*")
