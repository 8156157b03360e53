"""The message_routing and security suites pass on the clean server and catch their defects."""

from __future__ import annotations

import pytest

from .proof import assert_caught, run_suite

pytestmark = pytest.mark.slow

# Planned items of each suite (parametrized cases included); a change here is deliberate.
PLANNED = {"message_routing": 153, "security": 52}


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
            "test_unknown_type[[]frobnicate[]]",
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
            "message_routing",
            "closed-connection-keeps-slot",
            "test_closed_connection_frees_its_slot",
            "*expected connection_established within 2 s, observed*TOO_MANY_CONNECTIONS*",
        ),
        (
            "message_routing",
            "size-counts-characters",
            "test_size_counts_utf8_bytes[[]two-byte-chars[]]",
            "*expected close 1009 and no reply, observed close none*'pong'*",
        ),
        (
            "message_routing",
            "connection-limit-off-by-one",
            "test_seventeenth_connection_refused",
            "*expected*TOO_MANY_CONNECTIONS*observed*connection_established*",
        ),
        (
            "message_routing",
            "rate-limit-after-parse",
            "test_rate_limited_frames_are_not_parsed",
            "*expected*'RATE_LIMITED': 2*observed*'FORMAT_ERROR': 1*",
        ),
        (
            "message_routing",
            "error-message-markup",
            "test_error_message_is_plain_text[[]html-tag[]]",
            "*expected 'plain text, no markup', observed*the tag '<b>'*",
        ),
        (
            "message_routing",
            "thread-check-before-payload",
            "test_first_failing_check_decides[[]blank-content-in-foreign-thread[]]",
            "*expected*INVALID_PAYLOAD*observed*THREAD_ACCESS_DENIED*",
        ),
        (
            "message_routing",
            "shutdown-closes-1000",
            "test_shutdown_closes_every_connection_1001",
            "*expected '1001 each', observed '[[]1000, 1000[]] (None: no close frame)'*",
        ),
        (
            "security",
            "auth-bypass-header",
            "test_test_mode_header_refused",
            "*expected*AUTH_FAILED*observed*connection_established*",
        ),
        (
            "security",
            "error-leaks-secret",
            "test_bad_token_refused[[]forged[]]",
            "*expected {'header': [[][]]*observed*the target's signing secret*",
        ),
        (
            "security",
            "auth-bypass-cookie",
            "test_bypass_cookies_refused",
            "*expected*AUTH_FAILED*observed*connection_established*",
        ),
        (
            "security",
            "subprotocol-padding-required",
            "test_subprotocol_authenticates_and_is_echoed[[]len-3k+1[]]",
            "*expected 'connection_established', observed*AUTH_FAILED*",
        ),
        (
            "security",
            "offered-subprotocol-verified",
            "test_first_transport_decides_acceptance[[]valid-header-then-forged-subprotocol[]]",
            "*expected 'connection_established', observed*AUTH_FAILED*",
        ),
        (
            "security",
            "error-leaks-exception",
            "test_bad_token_refused[[]expired[]]",
            "*expected {'header': [[][]]*observed*an exception class*",
        ),
        (
            "security",
            "error-quotes-signatures",
            "test_bad_token_refused[[]forged[]]",
            "*observed*the signature the target's secret gives the presented token*",
        ),
    ],
    ids=[
        "message_routing-unknown-type-crash",
        "message_routing-swallow-bad-json",
        "message_routing-stats-drift",
        "message_routing-closed-connection-keeps-slot",
        "message_routing-size-counts-characters",
        "message_routing-connection-limit-off-by-one",
        "message_routing-rate-limit-after-parse",
        "message_routing-error-message-markup",
        "message_routing-thread-check-before-payload",
        "message_routing-shutdown-closes-1000",
        "security-auth-bypass-header",
        "security-error-leaks-secret",
        "security-auth-bypass-cookie",
        "security-subprotocol-padding-required",
        "security-offered-subprotocol-verified",
        "security-error-leaks-exception",
        "security-error-quotes-signatures",
    ],
)
def test_defect_is_caught(
    pytester: pytest.Pytester, suite: str, defect: str, test: str, message: str
) -> None:
    """With the defect on, the named test fails and its message states expected and observed."""
    result = run_suite(pytester, suite, defect)
    assert_caught(result, PLANNED[suite], test)
    # The failure section of the named test states what was expected and what was observed.
    result.stdout.fnmatch_lines([f"*_ {test} _*", f"E *{message}", f"FAILED *::{test}*"])


# message_routing on netra-2025-09: its planned items (a change here is deliberate).
NETRA_PLANNED = 118
NETRA = ("--harness-profile", "netra-2025-09")


def test_clean_netra_server_passes_every_planned_test(pytester: pytest.Pytester) -> None:
    """Against the clean embedded server in netra-2025-09, every planned test passes."""
    result = run_suite(pytester, "message_routing", extra=NETRA)
    assert result.parseoutcomes().get("passed") == NETRA_PLANNED, result.stdout.str()[-3000:]
    assert result.ret == 0


@pytest.mark.parametrize(
    ("defect", "test", "message"),
    [
        (
            "iso-milliseconds",
            "test_every_frame_kind_is_in_the_dialects_form",
            "*breaks its dialect (9.dialect.timestamp-format): timestamp: '*.???+00:00' is not "
            "written YYYY-MM-DDTHH:MM:SS.ffffff+00:00*",
        ),
        (
            "error-without-details",
            "test_every_frame_kind_is_in_the_dialects_form",
            "*breaks its dialect (9.dialect.constant-fields): error_message: details is absent, "
            "the dialect states an object*",
        ),
        (
            "second-oversize-closes",
            "test_every_oversize_frame_gets_the_declared_error[[]ascii[]]",
            "*reply to the second frame of 8193 bytes: expected*MESSAGE_TOO_LARGE*observed "
            "'no frame (close code 1009)'*",
        ),
    ],
    ids=["iso-milliseconds", "error-without-details", "second-oversize-closes"],
)
def test_a_dialect_defect_is_caught_on_netra(
    pytester: pytest.Pytester, defect: str, test: str, message: str
) -> None:
    """A server that breaks its own dialect's statements fails the test naming them."""
    result = run_suite(pytester, "message_routing", defect, extra=NETRA)
    assert_caught(result, NETRA_PLANNED, test)
    result.stdout.fnmatch_lines([f"*_ {test} _*", f"E *{message}", f"FAILED *::{test}*"])
