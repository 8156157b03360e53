"""Suite manifests and discovery through the entry-point group `stability_harness.suites`."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Final

from harness.errors import SuiteLoadError
from harness.verdict.records import Criticality

ENTRY_POINT_GROUP: Final = "stability_harness.suites"
# The criticalities a manifest may name, as strings: the values of the enum.
CRITICALITIES: Final = tuple(c.value for c in Criticality)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True, slots=True, init=False)
class SuiteManifest:
    """What a suite is: its name, title, default criticality, description and needs.

    `criticality` is a `Criticality`; a suite written before the enum may still give one
    of its values as a string (`"critical"`), which the manifest reads as the enum.
    """

    name: str
    title: str
    criticality: Criticality
    description: str = ""
    capabilities: tuple[str, ...] = ()

    def __init__(
        self,
        name: str,
        title: str,
        criticality: Criticality | str,
        description: str = "",
        capabilities: tuple[str, ...] = (),
    ) -> None:
        if not _NAME.match(name):
            raise SuiteLoadError(f"suite name {name!r} is not a lowercase identifier")
        criticality = _criticality(name, criticality)
        if not title.strip():
            raise SuiteLoadError(f"suite {name!r}: title is empty")
        fields = (
            ("name", name),
            ("title", title),
            ("criticality", criticality),
            ("description", description),
            ("capabilities", capabilities),
        )
        for field_name, value in fields:  # a frozen dataclass: set once, here
            object.__setattr__(self, field_name, value)


def _criticality(suite: str, value: Criticality | str) -> Criticality:
    """`value` as the enum: a member, or the string of one's value; else a load error."""
    if isinstance(value, Criticality):
        return value
    if isinstance(value, str) and value in CRITICALITIES:
        return Criticality(value)
    raise SuiteLoadError(
        f"suite {suite!r}: criticality {value!r} is not one of "
        f"{', '.join(f'Criticality.{c.name}' for c in Criticality)} "
        f"(or their values {', '.join(repr(c) for c in CRITICALITIES)})"
    )


@dataclass(frozen=True, slots=True)
class InstalledSuite:
    """A discovered suite: its entry point, and its manifest and package, or why it failed."""

    entry_point: str  # "name = module"
    name: str
    module: str
    manifest: SuiteManifest | None = None
    path: Path | None = None
    error: str | None = None


def load_suite(name: str, module: str) -> InstalledSuite:
    """Import one suite package and read its MANIFEST; failures are recorded, never dropped."""
    label = f"{name} = {module}"
    try:
        package = importlib.import_module(module)
    except Exception as exc:  # any import failure of a third-party suite is a load error
        return InstalledSuite(label, name, module, error=f"cannot import {module}: {exc!r}")
    manifest = getattr(package, "MANIFEST", None)
    if not isinstance(manifest, SuiteManifest):
        return InstalledSuite(
            label, name, module, error=f"{module} defines no SuiteManifest MANIFEST"
        )
    if manifest.name != name:
        return InstalledSuite(
            label,
            name,
            module,
            error=f"entry point {name!r} points at a suite named {manifest.name!r}",
        )
    file = getattr(package, "__file__", None)
    if file is None or Path(file).name != "__init__.py":
        return InstalledSuite(label, name, module, error=f"{module} is not a package")
    return InstalledSuite(label, name, module, manifest=manifest, path=Path(file).parent.resolve())


def discover_suites() -> list[InstalledSuite]:
    """Every suite registered in the entry-point group, sorted by name, load errors included."""
    found: dict[str, InstalledSuite] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found:
            continue  # the same distribution seen twice on sys.path
        found[ep.name] = load_suite(ep.name, ep.value)
    return [found[name] for name in sorted(found)]


def suite_of_path(path: Path, suites: list[InstalledSuite]) -> InstalledSuite | None:
    """The suite whose package directory holds `path`."""
    resolved = path.resolve()
    for suite in suites:
        if suite.path is not None and resolved.is_relative_to(suite.path):
            return suite
    return None
