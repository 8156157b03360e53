"""Suite `staging_repro`: the frame that crashed staging with close 1011, and its variants."""

from __future__ import annotations

from harness.suite_api import STAGING_SUITE, Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name=STAGING_SUITE,
    title="Staging error case",
    criticality=Criticality.CRITICAL,
    description=(
        "The original staging frame (start_agent carrying '2025-09-08T16:50:01.447585') and its "
        "Z, offset, 7-digit fraction, user_message and ping variants: never 1011, processed, "
        "normalised exactly (integer microseconds), the connection still open; with second 60 "
        "it is rejected and starts no run."
    ),
    capabilities=("fresh_users",),
)
