"""What one turn is, for benchmarks/locust_vs_load.py and its Locust user, named in one place.

A turn of `chat-agent/1` (docs/PROTOCOL.md section 4, docs/TURNS.md): the client frame
that starts it, the server's direct reply, the frame timed as the "first delta" and the
frames that end it. Until a streaming dialect lands, the first delta is the first agent
event of the run (`agent_started`); to drive a streaming dialect, change these names (and
`turn_request`) and nothing else. Imports neither locust nor the harness: the Locust
process loads it beside its locustfile, and the benchmark's own process reads it too.
"""

from __future__ import annotations

from typing import Any, Final

# The client frame that starts a turn, and what it says (one calculator call: the ack,
# then agent_started, agent_thinking, tool_executing, tool_completed, agent_completed).
TURN_REQUEST: Final = "user_message"
CONTENT: Final = "What is 2+3?"
# The server's direct reply that names the turn's run (its `run_id`), and the refusal.
TURN_ACK: Final = "ack"
ERROR: Final = "error"
# The frame timed as the turn's "first delta": from the send to its arrival.
FIRST_DELTA: Final = "agent_started"
# The frames that end a turn; a turn is completed only when it ends with the first one.
TURN_COMPLETED: Final = "agent_completed"
TURN_TERMINALS: Final = (TURN_COMPLETED, "agent_error")

# The names under which the Locust user reports each turn (Locust request events).
LOCUST_TYPE: Final = "WS"
LOCUST_FIRST_DELTA: Final = "first delta"
LOCUST_TURN: Final = "turn"
LOCUST_CONNECT: Final = "connect"  # one per user: the handshake and the welcome

# Where the harness's load phase keeps the same figures in verdict.json's metrics: the
# time to agent_started per conversation, one error-rate sample (0 or 1) per
# conversation, one handshake time per connection (suites/load/tally.py).
HARNESS_FIRST_DELTA: Final = "load_first_event_ms"
HARNESS_OUTCOME: Final = "load_error_rate"
HARNESS_CONNECT: Final = "load_handshake_ms"

# How long one turn may take, and the handshake, before the Locust user gives up on it
# (the load phase's own bounds: suites/load/crowd.py).
TURN_WITHIN_S: Final = 15.0
HANDSHAKE_WITHIN_S: Final = 10.0


def turn_request(message_id: str) -> dict[str, Any]:
    """The frame that starts one turn."""
    return {"type": TURN_REQUEST, "message_id": message_id, "payload": {"content": CONTENT}}
