"""Suite `replays`: recorded sessions (captures) replayed against the target, frame by frame."""

from __future__ import annotations

from harness.suite_api import REPLAY_SUITE, Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name=REPLAY_SUITE,
    title="Recorded incidents replayed",
    criticality=Criticality.CRITICAL,
    description=(
        "Each capture (the staging incident ships as the first) is replayed for fresh users: "
        "the server's frame types, with each agent run kept together, every field that is not "
        "volatile, error codes and close codes must match the recording."
    ),
    capabilities=("fresh_users",),
)
