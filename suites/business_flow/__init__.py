"""Suite `business_flow`: a chat conversation end to end, as users of the product see it."""

from __future__ import annotations

from harness.suite_api import Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name="business_flow",
    title="Chat message flow",
    criticality=Criticality.CRITICAL,
    description=(
        "Conversations with exact answers, thread continuity, history after reconnect, "
        "thread ownership and several users conversing at once."
    ),
    capabilities=("fresh_users", "users:5"),
)
