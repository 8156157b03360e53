"""Suite `load`: many concurrent users, each on its own connection, running agent runs at once."""

from __future__ import annotations

from harness.suite_api import Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name="load",
    title="Load and soak",
    criticality=Criticality.MAJOR,
    description=(
        "N users (run --users, default 200) connect over a ramp and each runs M agent runs "
        "(--conversations) on one event loop, alone in the load phase: handshake time, time to "
        "agent_started and full-run time (p50/p95/p99), frames per second, errors, close "
        "codes, and events of another user's run on a connection (must be none); "
        "--soak keeps them going and reports the drift per window and the server's RSS."
    ),
    capabilities=("fresh_users",),
)
