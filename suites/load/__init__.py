"""Suite `load`: many concurrent users, each on its own connection, running agent runs at once."""

from __future__ import annotations

from harness.suite_api import Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name="load",
    title="Load and soak",
    criticality=Criticality.MAJOR,
    description=(
        "N users (run --users, default 200) connect over a ramp and each runs M agent runs "
        "(--conversations; turns in the target's dialect where it lacks chat-agent/1's "
        "requests) on one event loop, alone in the load phase: handshake time, time to "
        "agent_started (the turn's first frame) and full-run time (p50/p95/p99), frames per "
        "second, errors, close codes, and events of another user's run (frames of a turn it "
        "did not ask for) on a connection (must be none); "
        "--soak keeps them going and reports the drift per window and the server's RSS."
    ),
    capabilities=("fresh_users",),
)
