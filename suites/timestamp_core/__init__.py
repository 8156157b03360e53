"""Suite `timestamp_core`: every timestamp class of PROTOCOL.md section 5, wire and in-process."""

from __future__ import annotations

from harness.suite_api import TIMESTAMP_SUITE, Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name=TIMESTAMP_SUITE,
    title="Timestamp conversion core",
    criticality=Criticality.CRITICAL,
    description=(
        "Every accepted and rejected timestamp class of PROTOCOL.md section 5 in ping, "
        "user_message and start_agent frames: normalised values exact in integer microseconds "
        "and runs that complete; exactly one INVALID_TIMESTAMP error, no run and no history "
        "entry, the connection kept open; the same corpus against the converter in-process, "
        "and its conversion time."
    ),
    capabilities=("fresh_users", "http"),
)
