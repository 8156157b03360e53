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
# The defects of an openai-realtime server (harness/reference/realtime_defects.py).
RT_DEFECT_NAMES = (
    "rt-double-done",
    "rt-delta-after-done",
    "rt-reused-response-id",
    "rt-delta-before-item",
    "rt-text-done-twice",
    "rt-done-while-open",
    "rt-bad-arguments",
    "rt-text-mismatch",
    "rt-cross-session",
    "rt-stuck-after-error",
    "rt-cancel-ignored",
    "rt-close-4000",
)


def test_catalogue_lists_the_fourteen_defects_of_the_protocol() -> None:
    assert tuple(d.name for d in CATALOGUE) == DEFECT_NAMES + RT_DEFECT_NAMES
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


def test_all_expands_to_the_defects_of_the_dialect_spoken() -> None:
    assert resolve_defects(["all"], "openai-realtime") == frozenset(RT_DEFECT_NAMES)
    config = ServerConfig(jwt_secret=SECRET, profile="openai-realtime", defects=frozenset({"all"}))
    assert config.defects == frozenset(RT_DEFECT_NAMES)


@pytest.mark.parametrize(
    ("profile", "defect"),
    [("chat-agent/1", "rt-double-done"), ("openai-realtime", "double-terminal")],
)
def test_a_defect_of_another_dialect_is_a_one_line_config_error(profile: str, defect: str) -> None:
    with pytest.raises(ConfigError) as raised:
        ServerConfig(jwt_secret=SECRET, profile=profile, defects=frozenset({defect}))
    message = str(raised.value)
    assert defect in message and profile in message and "\n" not in message


def test_a_realtime_defect_applies_only_to_a_realtime_profile() -> None:
    from harness.reference.defects import find_defect
    from harness.wire.profile import load_profile

    realtime, chat = load_profile("openai-realtime"), load_profile("chat-agent/1")
    assert find_defect("rt-cancel-ignored").applies_to(realtime)
    assert not find_defect("rt-cancel-ignored").applies_to(chat)
    assert not find_defect("rt-cancel-ignored").applies(chat.capabilities)
    assert find_defect("double-terminal").applies_to(chat)
    assert not find_defect("double-terminal").applies_to(realtime)
