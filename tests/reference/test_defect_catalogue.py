"""The defect catalogue's contents and name checks (PROTOCOL.md section 8), without sockets."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.reference import CATALOGUE, ServerConfig
from harness.reference.defects import resolve_defects

from .wire import SECRET

DEFECT_NAMES = (
    "iso-timestamp-crash",
    "silent-timestamp-fallback",
    "naive-local-time",
    "drop-tool-completed",
    "reorder-events",
    "duplicate-thinking",
    "cross-user-leak",
    "slow-first-event",
    "unknown-type-crash",
    "swallow-bad-json",
    "stats-drift",
    "history-lost-on-reconnect",
    "auth-bypass-header",
    "error-leaks-secret",
    "seq-per-user",
    "left-to-right-arithmetic",
    "fail-anywhere",
    "split-on-space",
    "float-final-response",
    "bare-number-expression",
    "closed-connection-keeps-slot",
    "size-counts-characters",
    "connection-limit-off-by-one",
    "rate-limit-after-parse",
    "error-message-markup",
    "thread-check-before-payload",
    "shutdown-closes-1000",
    "late-1011",
    "drop-without-close",
    "round-fraction",
    "rejected-timestamp-starts-run",
    "agent-rejects-decimal-string",
    "unicode-digits",
    "iso-range-by-year",
    "auth-bypass-cookie",
    "subprotocol-padding-required",
    "offered-subprotocol-verified",
    "error-leaks-exception",
    "error-quotes-signatures",
    "history-null-timestamp",
    "history-content-stripped",
    "start-agent-ignores-owner",
    "no-welcome",
    "no-pong",
    "no-ack",
    "no-agent-completed",
    "iso-milliseconds",
    "error-without-details",
    "second-oversize-closes",
    "double-terminal",
    "reused-run-id",
    "stuck-after-error",
)


def test_catalogue_lists_the_fourteen_defects_of_the_protocol() -> None:
    assert tuple(d.name for d in CATALOGUE) == DEFECT_NAMES
    assert all(d.breaks and d.caught_by for d in CATALOGUE)
    assert dict((d.name, d.caught_by) for d in CATALOGUE)["iso-timestamp-crash"] == (
        "staging_repro",
        "timestamp_core",
    )


def test_unknown_defect_is_a_config_error_listing_valid_names() -> None:
    with pytest.raises(ConfigError) as raised:
        ServerConfig(jwt_secret=SECRET, defects=frozenset({"no-such-defect"}))
    message = str(raised.value)
    assert "no-such-defect" in message and "\n" not in message
    assert all(name in message for name in DEFECT_NAMES)


def test_all_expands_to_every_defect() -> None:
    assert resolve_defects(["all"]) == frozenset(DEFECT_NAMES)
    assert ServerConfig(jwt_secret=SECRET, defects=frozenset({"all"})).defects == frozenset(
        DEFECT_NAMES
    )
