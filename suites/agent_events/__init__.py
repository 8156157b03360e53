"""Suite `agent_events`: the agent events of PROTOCOL.md section 4 as a client receives them."""

from __future__ import annotations

from harness.suite_api import Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name="agent_events",
    title="WebSocket agent events",
    criticality=Criticality.CRITICAL,
    description=(
        "The five business events and agent_error: their ordering rules, schemas, tool calls, "
        "the error path, latency to agent_started, and 50 concurrent runs with no cross-talk."
    ),
    capabilities=("fresh_users", "users:10"),
)
