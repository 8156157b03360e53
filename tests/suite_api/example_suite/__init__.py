# example_suite/__init__.py
"""An example suite: the scripted agent's calculator, as docs/PROTOCOL.md section 4 says."""

from harness.suite_api import Criticality, SuiteManifest

MANIFEST = SuiteManifest(
    name="example_suite",
    title="Example suite",
    criticality=Criticality.CRITICAL,
    description="An agent run calls the calculator once and gets the exact result.",
)
