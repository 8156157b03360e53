"""Names and shapes of the `chat-agent/1` wire protocol (PROTOCOL.md) in one place.

Suites and the client read every protocol name from here, so that a profile
for a target with other names changes this module, not the tests.
"""

from __future__ import annotations

from typing import Final

PROFILE: Final = "chat-agent/1"
WS_PATH: Final = "/ws"
HEALTH_PATH: Final = "/health"
STATS_PATH: Final = "/stats"

# Client -> server types the server handles (section 2).
PING: Final = "ping"
USER_MESSAGE: Final = "user_message"
START_AGENT: Final = "start_agent"
GET_THREAD_HISTORY: Final = "get_thread_history"
CLIENT_TYPES: Final = (PING, USER_MESSAGE, START_AGENT, GET_THREAD_HISTORY)

# Server -> client frames (section 3).
CONNECTION_ESTABLISHED: Final = "connection_established"
PONG: Final = "pong"
ACK: Final = "ack"
THREAD_HISTORY: Final = "thread_history"
ERROR: Final = "error"
DIRECT_REPLIES: Final = (PONG, ACK, THREAD_HISTORY, ERROR)

# Agent events (section 4).
AGENT_STARTED: Final = "agent_started"
AGENT_THINKING: Final = "agent_thinking"
TOOL_EXECUTING: Final = "tool_executing"
TOOL_COMPLETED: Final = "tool_completed"
AGENT_COMPLETED: Final = "agent_completed"
AGENT_ERROR: Final = "agent_error"
BUSINESS_EVENTS: Final = (
    AGENT_STARTED,
    AGENT_THINKING,
    TOOL_EXECUTING,
    TOOL_COMPLETED,
    AGENT_COMPLETED,
)
AGENT_EVENTS: Final = (*BUSINESS_EVENTS, AGENT_ERROR)
TERMINAL_EVENTS: Final = (AGENT_COMPLETED, AGENT_ERROR)

# Error codes (sections 1, 2, 6).
AUTH_FAILED: Final = "AUTH_FAILED"
FORMAT_ERROR: Final = "FORMAT_ERROR"
INVALID_MESSAGE: Final = "INVALID_MESSAGE"
INVALID_TIMESTAMP: Final = "INVALID_TIMESTAMP"
UNKNOWN_TYPE: Final = "UNKNOWN_TYPE"
INVALID_PAYLOAD: Final = "INVALID_PAYLOAD"
THREAD_NOT_FOUND: Final = "THREAD_NOT_FOUND"
THREAD_ACCESS_DENIED: Final = "THREAD_ACCESS_DENIED"
RATE_LIMITED: Final = "RATE_LIMITED"
TOO_MANY_CONNECTIONS: Final = "TOO_MANY_CONNECTIONS"
AGENT_FAILED: Final = "AGENT_FAILED"
ERROR_CODES: Final = (
    AUTH_FAILED,
    FORMAT_ERROR,
    INVALID_MESSAGE,
    INVALID_TIMESTAMP,
    UNKNOWN_TYPE,
    INVALID_PAYLOAD,
    THREAD_NOT_FOUND,
    THREAD_ACCESS_DENIED,
    RATE_LIMITED,
    TOO_MANY_CONNECTIONS,
)

# Close codes (section 6).
CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_UNSUPPORTED_DATA: Final = 1003
CLOSE_POLICY_VIOLATION: Final = 1008
CLOSE_MESSAGE_TOO_BIG: Final = 1009
CLOSE_INTERNAL_ERROR: Final = 1011

# Limits (section 6 defaults).
DEFAULT_MAX_MESSAGE_BYTES: Final = 65536
DEFAULT_MAX_MESSAGES_PER_MINUTE: Final = 600
MAX_CONNECTIONS_PER_USER: Final = 16
MAX_CONTENT_CHARS: Final = 8000
MAX_MESSAGE_ID_CHARS: Final = 128

# Timestamps (section 5).
TIMESTAMP_UPPER_BOUND: Final = 4102444800  # 2100-01-01T00:00:00Z, exclusive
TIMESTAMP_TOLERANCE_S: Final = 1e-6

# Authentication (section 1).
JWT_ALGORITHM: Final = "HS256"
SUBPROTOCOL_PREFIX: Final = "jwt."
TOKEN_QUERY_PARAM: Final = "token"
BYPASS_HEADER: Final = "X-Test-Mode"

# The canonical fields of each server frame besides type, timestamp and seq (sections 3, 4):
# dotted paths; `[]` maps over a list. Profiles map each to the target's wire path.
EVENT_FIELDS: Final = ("run_id", "thread_id", "user_id")
SERVER_FRAME_FIELDS: Final = {
    CONNECTION_ESTABLISHED: (
        "user_id",
        "connection_id",
        "server_time",
        "limits.max_message_bytes",
        "limits.max_messages_per_minute",
    ),
    PONG: ("message_id", "client_timestamp"),
    ACK: ("message_id", "received_type", "client_timestamp", "run_id", "thread_id"),
    THREAD_HISTORY: (
        "message_id",
        "thread_id",
        "messages",
        "messages[].role",
        "messages[].content",
        "messages[].timestamp",
    ),
    ERROR: ("error_code", "message", "message_id"),
    AGENT_STARTED: (*EVENT_FIELDS, "data.agent_name", "data.message_id"),
    AGENT_THINKING: (*EVENT_FIELDS, "data.reasoning", "data.step"),
    TOOL_EXECUTING: (*EVENT_FIELDS, "data.tool_name", "data.tool_call_id", "data.parameters"),
    TOOL_COMPLETED: (
        *EVENT_FIELDS,
        "data.tool_name",
        "data.tool_call_id",
        "data.result",
        "data.duration_ms",
    ),
    AGENT_COMPLETED: (*EVENT_FIELDS, "data.status", "data.final_response", "data.duration_ms"),
    AGENT_ERROR: (*EVENT_FIELDS, "data.error_code", "data.message"),
}
# Timestamp formats a profile can name for a server frame's timestamps: epoch seconds or
# milliseconds (a JSON number), any ISO 8601 date-time (`iso8601`), or exactly
# `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (`iso8601_utc_us`: UTC, six fraction digits).
TIMESTAMP_FORMATS: Final = ("epoch_s", "epoch_ms", "iso8601", "iso8601_utc_us")
ISO_FORMATS: Final = ("iso8601", "iso8601_utc_us")
