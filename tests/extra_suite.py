"""A throwaway third-party suite package, registered through a real entry point."""

from __future__ import annotations

import textwrap
from pathlib import Path

MANIFEST = """
from harness.suite_api import SuiteManifest

MANIFEST = SuiteManifest(
    name="extra_suite",
    title="Extra suite",
    criticality="critical",
    description="A third-party suite used by the harness's own tests.",
)
"""


def install_suite(site: Path, modules: dict[str, str], *, manifest: str = MANIFEST) -> Path:
    """Write package `extra_pkg.extra_suite` with `modules` and register it as a suite."""
    package = site / "extra_pkg" / "extra_suite"
    package.mkdir(parents=True, exist_ok=True)
    (site / "extra_pkg" / "__init__.py").write_text("")
    (package / "__init__.py").write_text(textwrap.dedent(manifest))
    for name, body in modules.items():
        (package / name).write_text(textwrap.dedent(body))
    dist = site / "extra_pkg-1.0.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[stability_harness.suites]\nextra_suite = extra_pkg.extra_suite\n"
    )
    return package
