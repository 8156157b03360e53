"""Suite `staging_repro`: the frame that crashed staging with close 1011, and its variants."""

from __future__ import annotations

from harness.run.suite import SuiteManifest

MANIFEST = SuiteManifest(
    name="staging_repro",
    title="Staging error case",
    criticality="critical",
    description=(
        "The original staging frame (start_agent carrying '2025-09-08T16:50:01.447585') and its "
        "Z, offset, user_message and ping variants: never 1011, processed, normalised exactly, "
        "the connection still open."
    ),
    capabilities=("fresh_users",),
)
