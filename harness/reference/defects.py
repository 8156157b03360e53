"""The reference server's defect catalogue (PROTOCOL.md section 8): regressions to switch on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from harness.errors import ConfigError
from harness.reference.dialect import CHAT_AGENT, OPENAI_REALTIME, family_of
from harness.reference.realtime_defects import REALTIME_ROWS
from harness.wire.profile import Profile

ALL: Final = "all"


@dataclass(frozen=True, slots=True)
class Defect:
    """One known regression: its name, what the server then does wrong, which suites catch it."""

    name: str
    breaks: str
    caught_by: tuple[str, ...]
    serves: str = CHAT_AGENT  # the dialect family whose server has it (dialect.family_of)

    @property
    def needs(self) -> tuple[str, ...]:
        """The capabilities a dialect must have for the defect to apply (docs/PROFILES.md)."""
        # A chat-agent defect breaks what only a server of chat-agent/1's requests does.
        family = ("chat_requests",) if self.serves == CHAT_AGENT else ()
        return (*family, *NEEDS.get(self.name, ()))

    def applies(self, capabilities: Iterable[str]) -> bool:
        """Whether the defect can show in a dialect with these capabilities."""
        have = set(capabilities)
        return all(need in have for need in self.needs)

    def applies_to(self, profile: Profile) -> bool:
        """Whether the defect can show on a server speaking `profile`: its family serves it
        and the profile has the capabilities it needs."""
        return self.serves == family_of(profile) and self.applies(profile.capabilities)


ISO_TIMESTAMP_CRASH: Final = "iso-timestamp-crash"
SILENT_TIMESTAMP_FALLBACK: Final = "silent-timestamp-fallback"
NAIVE_LOCAL_TIME: Final = "naive-local-time"
DROP_TOOL_COMPLETED: Final = "drop-tool-completed"
REORDER_EVENTS: Final = "reorder-events"
DUPLICATE_THINKING: Final = "duplicate-thinking"
CROSS_USER_LEAK: Final = "cross-user-leak"
SLOW_FIRST_EVENT: Final = "slow-first-event"
UNKNOWN_TYPE_CRASH: Final = "unknown-type-crash"
SWALLOW_BAD_JSON: Final = "swallow-bad-json"
STATS_DRIFT: Final = "stats-drift"
HISTORY_LOST_ON_RECONNECT: Final = "history-lost-on-reconnect"
AUTH_BYPASS_HEADER: Final = "auth-bypass-header"
ERROR_LEAKS_SECRET: Final = "error-leaks-secret"
SEQ_PER_USER: Final = "seq-per-user"
LEFT_TO_RIGHT_ARITHMETIC: Final = "left-to-right-arithmetic"
FAIL_ANYWHERE: Final = "fail-anywhere"
SPLIT_ON_SPACE: Final = "split-on-space"
FLOAT_FINAL_RESPONSE: Final = "float-final-response"
BARE_NUMBER_EXPRESSION: Final = "bare-number-expression"
LATE_1011: Final = "late-1011"
DROP_WITHOUT_CLOSE: Final = "drop-without-close"
CLOSED_CONNECTION_KEEPS_SLOT: Final = "closed-connection-keeps-slot"
SIZE_COUNTS_CHARACTERS: Final = "size-counts-characters"
CONNECTION_LIMIT_OFF_BY_ONE: Final = "connection-limit-off-by-one"
RATE_LIMIT_AFTER_PARSE: Final = "rate-limit-after-parse"
ERROR_MESSAGE_MARKUP: Final = "error-message-markup"
THREAD_CHECK_BEFORE_PAYLOAD: Final = "thread-check-before-payload"
SHUTDOWN_CLOSES_1000: Final = "shutdown-closes-1000"
ROUND_FRACTION: Final = "round-fraction"
REJECTED_TIMESTAMP_STARTS_RUN: Final = "rejected-timestamp-starts-run"
AGENT_REJECTS_DECIMAL_STRING: Final = "agent-rejects-decimal-string"
UNICODE_DIGITS: Final = "unicode-digits"
ISO_RANGE_BY_YEAR: Final = "iso-range-by-year"
AUTH_BYPASS_COOKIE: Final = "auth-bypass-cookie"
SUBPROTOCOL_PADDING_REQUIRED: Final = "subprotocol-padding-required"
OFFERED_SUBPROTOCOL_VERIFIED: Final = "offered-subprotocol-verified"
ERROR_LEAKS_EXCEPTION: Final = "error-leaks-exception"
ERROR_QUOTES_SIGNATURES: Final = "error-quotes-signatures"
HISTORY_NULL_TIMESTAMP: Final = "history-null-timestamp"
HISTORY_CONTENT_STRIPPED: Final = "history-content-stripped"
START_AGENT_IGNORES_OWNER: Final = "start-agent-ignores-owner"
NO_WELCOME: Final = "no-welcome"
NO_PONG: Final = "no-pong"
NO_ACK: Final = "no-ack"
NO_AGENT_COMPLETED: Final = "no-agent-completed"
# Defects of a dialect's own statements (docs/PROFILES.md): they show only in a dialect
# that declares the format, constant or oversize answer they break.
ISO_MILLISECONDS: Final = "iso-milliseconds"
ERROR_WITHOUT_DETAILS: Final = "error-without-details"
SECOND_OVERSIZE_CLOSES: Final = "second-oversize-closes"
# Defects of the turn (docs/TURNS.md), in any dialect.
DOUBLE_TERMINAL: Final = "double-terminal"
REUSED_RUN_ID: Final = "reused-run-id"
STUCK_AFTER_ERROR: Final = "stuck-after-error"

CATALOGUE: Final = (
    Defect(
        ISO_TIMESTAMP_CRASH,
        "an ISO string timestamp raises inside the handler: close 1011",
        ("staging_repro", "timestamp_core"),
    ),
    Defect(
        SILENT_TIMESTAMP_FALLBACK,
        "an invalid timestamp is replaced by server time and the frame is processed",
        ("timestamp_core",),
    ),
    Defect(
        NAIVE_LOCAL_TIME,
        "a zone-less ISO string is read as UTC-05:00",
        ("timestamp_core", "staging_repro"),
    ),
    Defect(DROP_TOOL_COMPLETED, "tool_completed is never sent", ("agent_events",)),
    Defect(
        REORDER_EVENTS,
        "agent_completed is sent before the last tool_completed",
        ("agent_events",),
    ),
    Defect(DUPLICATE_THINKING, "every agent_thinking is sent twice", ("agent_events",)),
    Defect(
        CROSS_USER_LEAK,
        "agent events are also sent to every other open connection",
        ("agent_events", "business_flow"),
    ),
    Defect(SLOW_FIRST_EVENT, "agent_started is delayed by 1.5 s", ("agent_events",)),
    Defect(
        UNKNOWN_TYPE_CRASH,
        "an unknown type closes the connection with 1011",
        ("message_routing",),
    ),
    Defect(SWALLOW_BAD_JSON, "non-JSON frames get no reply", ("message_routing",)),
    Defect(STATS_DRIFT, "ping frames are not counted in /stats", ("message_routing",)),
    Defect(
        HISTORY_LOST_ON_RECONNECT,
        "thread history belongs to the connection, not the user",
        ("business_flow",),
    ),
    Defect(
        AUTH_BYPASS_HEADER,
        "a request header X-Test-Mode: 1 skips signature verification",
        ("security",),
    ),
    Defect(
        ERROR_LEAKS_SECRET,
        "AUTH_FAILED frames include the signing secret in the message",
        ("security",),
    ),
    Defect(
        SEQ_PER_USER,
        "seq is counted per user: a second connection of a user goes on from the first's number",
        ("agent_events",),
    ),
    Defect(
        LEFT_TO_RIGHT_ARITHMETIC,
        "the calculator evaluates left to right: * and / do not bind tighter than + and -",
        ("agent_events",),
    ),
    Defect(
        FAIL_ANYWHERE,
        "content that contains fail: anywhere, not only at its start, ends with agent_error",
        ("agent_events",),
    ),
    Defect(
        SPLIT_ON_SPACE,
        "word_count splits on single spaces: runs of spaces and tabs miscount the words",
        ("agent_events",),
    ),
    Defect(
        FLOAT_FINAL_RESPONSE,
        "final_response writes an integer calculator result as a float (6/3 = 2.0)",
        ("agent_events",),
    ),
    Defect(
        BARE_NUMBER_EXPRESSION,
        "a bare number without an operator (2025) is taken as an expression: a calculator call",
        ("agent_events",),
    ),
    Defect(
        CLOSED_CONNECTION_KEEPS_SLOT,
        "a closed connection keeps its slot: a user's 17th connection ever opened is refused",
        ("message_routing",),
    ),
    Defect(
        SIZE_COUNTS_CHARACTERS,
        "max_message_bytes is compared with the message's characters, not its UTF-8 bytes",
        ("message_routing",),
    ),
    Defect(
        CONNECTION_LIMIT_OFF_BY_ONE,
        "a 17th open connection of one user is accepted (the cap refuses the 18th)",
        ("message_routing",),
    ),
    Defect(
        RATE_LIMIT_AFTER_PARSE,
        "a frame over the rate limit is parsed first: a non-JSON one gets FORMAT_ERROR",
        ("message_routing",),
    ),
    Defect(
        ERROR_MESSAGE_MARKUP,
        "the UNKNOWN_TYPE message quotes the type verbatim, markup and escape codes included",
        ("message_routing",),
    ),
    Defect(
        THREAD_CHECK_BEFORE_PAYLOAD,
        "thread ownership is checked before the payload: bad content in another user's "
        "thread gets THREAD_ACCESS_DENIED",
        ("message_routing",),
    ),
    Defect(
        SHUTDOWN_CLOSES_1000,
        "a server shutting down closes its connections with 1000 instead of 1001",
        ("message_routing",),
    ),
    Defect(
        LATE_1011,
        "right after a run's agent_completed, its connection is closed with 1011",
        ("agent_events", "business_flow", "message_routing", "staging_repro", "timestamp_core"),
    ),
    Defect(
        DROP_WITHOUT_CLOSE,
        "right after a pong, the TCP connection is dropped without a close frame",
        ("message_routing", "staging_repro", "timestamp_core"),
    ),
    Defect(
        ROUND_FRACTION,
        "a string timestamp's fraction digits beyond microseconds are rounded, not truncated",
        ("timestamp_core", "staging_repro"),
    ),
    Defect(
        REJECTED_TIMESTAMP_STARTS_RUN,
        "a user_message or start_agent with an invalid timestamp gets its INVALID_TIMESTAMP "
        "error, and its run starts anyway",
        ("timestamp_core", "staging_repro"),
    ),
    Defect(
        AGENT_REJECTS_DECIMAL_STRING,
        "user_message and start_agent reject a decimal-string timestamp that ping accepts",
        ("timestamp_core",),
    ),
    Defect(
        UNICODE_DIGITS,
        "a decimal-string timestamp written with non-ASCII digits (Arabic-Indic, fullwidth) "
        "is accepted with its value",
        ("timestamp_core",),
    ),
    Defect(
        ISO_RANGE_BY_YEAR,
        "an ISO timestamp's range is checked on its year (1970 to 2099), not on the instant "
        "its offset gives",
        ("timestamp_core",),
    ),
    Defect(
        AUTH_BYPASS_COOKIE,
        "a cookie test_mode=1 skips signature verification",
        ("security",),
    ),
    Defect(
        SUBPROTOCOL_PADDING_REQUIRED,
        "the jwt. subprotocol is decoded without restoring base64 padding: tokens whose "
        "length is not a multiple of 3 are refused",
        ("security",),
    ),
    Defect(
        OFFERED_SUBPROTOCOL_VERIFIED,
        "a jwt. subprotocol offered besides a valid Authorization header is verified too: "
        "an invalid one refuses the connection",
        ("security",),
    ),
    Defect(
        ERROR_LEAKS_EXCEPTION,
        "the AUTH_FAILED message is the verifier's exception: qualified class name and text",
        ("security",),
    ),
    Defect(
        ERROR_QUOTES_SIGNATURES,
        "the AUTH_FAILED message for a wrong signature quotes the signature received and the "
        "one the secret gives",
        ("security",),
    ),
    Defect(
        HISTORY_NULL_TIMESTAMP,
        "a user message sent without a timestamp is stored in the history with timestamp null",
        ("business_flow",),
    ),
    Defect(
        HISTORY_CONTENT_STRIPPED,
        "a user message is stored in the history with surrounding whitespace stripped",
        ("business_flow",),
    ),
    Defect(
        START_AGENT_IGNORES_OWNER,
        "start_agent on another user's thread is accepted: the run starts and joins that thread",
        ("business_flow",),
    ),
    # Frames the protocol requires that never come: a broken server is judged about as fast
    # as a healthy one only if the harness names the missing frame once and stops waiting.
    Defect(
        NO_WELCOME,
        "connection_established is never sent: an accepted connection stays silent until the "
        "client speaks",
        ("agent_events", "business_flow", "message_routing", "security", "timestamp_core"),
    ),
    Defect(NO_PONG, "a ping gets no reply at all", ("message_routing", "timestamp_core")),
    Defect(
        NO_ACK,
        "a user_message or start_agent gets no ack; its run starts all the same",
        ("agent_events", "business_flow", "message_routing", "timestamp_core"),
    ),
    Defect(
        NO_AGENT_COMPLETED,
        "a run that succeeds never sends agent_completed: its last event is the final "
        "agent_thinking",
        ("agent_events", "business_flow"),
    ),
    Defect(
        ISO_MILLISECONDS,
        "agent events' timestamps leave the dialect's format: an ISO one written with "
        "milliseconds (.447+00:00), an epoch one as a string",
        ("agent_events", "business_flow", "message_routing"),
    ),
    Defect(
        ERROR_WITHOUT_DETAILS,
        "error frames leave out the details object the dialect always writes",
        ("message_routing", "timestamp_core", "security"),
    ),
    Defect(
        SECOND_OVERSIZE_CLOSES,
        "the second oversize frame of a connection closes it with 1009 instead of getting "
        "the dialect's error",
        ("message_routing",),
    ),
    Defect(
        DOUBLE_TERMINAL,
        "a run that succeeds sends agent_completed twice",
        ("agent_events",),
    ),
    Defect(
        REUSED_RUN_ID,
        "every run on a connection after the first reuses the first run's id",
        ("agent_events",),
    ),
    Defect(
        STUCK_AFTER_ERROR,
        "after an error frame on a connection, its later requests are acked but start no run",
        ("agent_events",),
    ),
    *(Defect(name, breaks, by, OPENAI_REALTIME) for name, breaks, by in REALTIME_ROWS),
)

NAMES: Final = tuple(defect.name for defect in CATALOGUE)


def resolve_defects(names: Iterable[str], serves: str = CHAT_AGENT) -> frozenset[str]:
    """The set of defect names, with `all` expanded to the defects a server of the `serves`
    family has; ConfigError for an unknown name."""
    resolved: set[str] = set()
    for name in names:
        if name == ALL:
            resolved.update(d.name for d in CATALOGUE if d.serves == serves)
        elif name in NAMES:
            resolved.add(name)
        else:
            raise ConfigError(
                f"unknown defect {name!r}; valid names: {', '.join(NAMES)} (or {ALL!r})"
            )
    return frozenset(resolved)


def find_defect(name: str) -> Defect:
    """The catalogue entry of one defect name; ConfigError for an unknown name."""
    for defect in CATALOGUE:
        if defect.name == name:
            return defect
    raise ConfigError(f"unknown defect {name!r}; valid names: {', '.join(NAMES)}")


# What a defect breaks that only some dialects have: on a target without it, the defect
# changes nothing a suite can judge (netra-2025-09 has no /stats, no seq, no rate limit...).
NEEDS: Final[dict[str, tuple[str, ...]]] = {
    STATS_DRIFT: ("stats",),
    SEQ_PER_USER: ("seq",),
    SIZE_COUNTS_CHARACTERS: ("oversize_close",),
    RATE_LIMIT_AFTER_PARSE: ("rate_limit",),
    ERROR_MESSAGE_MARKUP: ("unknown_type_error",),  # the markup is in UNKNOWN_TYPE's message
    ISO_MILLISECONDS: ("dialect",),
    ERROR_WITHOUT_DETAILS: ("declared_constants",),
    SECOND_OVERSIZE_CLOSES: ("oversize_error",),
    # A realtime defect breaks a streamed turn, which only a realtime dialect has.
    **{name: ("text_stream",) for name, _, _ in REALTIME_ROWS},
}
