"""Security: token transports, rejected tokens, no bypass, no leaks, protected stats."""

from __future__ import annotations

from harness.suite_api import Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name="security",
    title="Security and authentication",
    criticality=Criticality.CRITICAL,
    description=(
        "Each token transport authenticates the right user; missing, forged, expired and "
        "unsigned tokens are refused with AUTH_FAILED and close 1008 whatever the headers; "
        "error frames leak no secret, token, path or stack trace; /stats needs a valid token."
    ),
    capabilities=("fresh_users", "mint_tokens", "http"),
)
