"""Message routing: replies, validation order, errors, limits, close codes and stats."""

from __future__ import annotations

from harness.suite_api import Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name="message_routing",
    title="Message routing",
    criticality=Criticality.MAJOR,
    description=(
        "Every frame gets exactly one direct reply carrying its message_id, malformed and "
        "invalid frames get the code of the first failing check and start nothing, size, "
        "binary, rate and connection limits hold to the byte and the frame, close codes are "
        "right, and /stats counts exactly what a user sent."
    ),
    capabilities=("fresh_users", "mint_tokens", "http"),
)
