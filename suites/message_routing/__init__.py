"""Message routing: direct replies, error codes, limits and per-user stats (PROTOCOL.md 2, 6, 7)."""

from __future__ import annotations

from harness.run.suite import SuiteManifest

MANIFEST = SuiteManifest(
    name="message_routing",
    title="Message routing",
    criticality="major",
    description=(
        "Every handled type gets its direct reply, malformed and unknown frames get the right "
        "error code and leave the connection usable, size, binary and rate limits hold, and "
        "/stats counts exactly what a user sent."
    ),
    capabilities=("fresh_users", "http"),
)
