"""Names that several parts of the harness and its suites share, each defined once here.

A leaf module: it imports nothing, so that wire/, verdict/, report/, history/ and the
suites may all import it. Changing a value here changes verdict.json, the policy or
the reports: the values are the ones docs/VERDICT_JSON.md, docs/POLICY.md and
docs/PROTOCOL.md name.
"""

from __future__ import annotations

from typing import Final

# Metrics the built-in suites record that the policy's budgets, the reports and the run
# history name (docs/POLICY.md).
AGENT_STARTED_LATENCY_MS: Final = "agent_started_latency_ms"
TIMESTAMP_CONVERSION_US: Final = "timestamp_conversion_us"
# A turn's latencies (docs/TURNS.md), from the request: its first frame, its first text
# (a delta, or the whole text where the dialect sends it whole), its terminal, and the
# largest gap between two of its frames.
TURN_FIRST_FRAME_MS: Final = "turn_first_frame_ms"
TURN_FIRST_TEXT_MS: Final = "turn_first_text_ms"
TURN_TERMINAL_MS: Final = "turn_terminal_ms"
TURN_LARGEST_GAP_MS: Final = "turn_largest_gap_ms"

# The limits a target announces in connection_established.limits (docs/PROTOCOL.md
# section 6) that a suite may leave unverified, and how the skip's message starts.
LIMITS: Final = ("max_messages_per_minute", "max_message_bytes")
LIMIT_SKIP_PREFIX: Final = "limit not verified: "

# Built-in suites the reports give a section of their own.
TIMESTAMP_SUITE: Final = "timestamp_core"
STAGING_SUITE: Final = "staging_repro"
REPLAY_SUITE: Final = "replays"
