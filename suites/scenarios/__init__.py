"""Suite `scenarios`: the users' own conversations (TOML files, docs/SCENARIOS.md), each
played `runs` times for fresh users and judged k of n."""

from __future__ import annotations

from harness.suite_api import Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name="scenarios",
    title="User scenarios",
    criticality=Criticality.MAJOR,
    description=(
        "Each scenario of the folders given (--scenarios DIR, or the policy's [scenarios] "
        "folders) is played runs times, each run on a connection of its own for a fresh "
        "user; it passes when at least min_pass runs pass every check of every turn."
    ),
    capabilities=("fresh_users",),
)
