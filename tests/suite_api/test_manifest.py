"""A manifest's criticality is the enum; a third-party suite may still give its value."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from harness.errors import SuiteLoadError
from harness.run.suite import load_suite
from harness.suite_api import CRITICALITIES, Criticality, SuiteManifest


def test_the_enum_is_the_manifest_criticality() -> None:
    manifest = SuiteManifest("some_suite", "Some suite", Criticality.MINOR)
    assert manifest.criticality is Criticality.MINOR


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("critical", Criticality.CRITICAL),
        ("major", Criticality.MAJOR),
        ("minor", Criticality.MINOR),
    ],
)
def test_a_value_string_is_read_as_the_enum(text: str, member: Criticality) -> None:
    manifest = SuiteManifest(name="some_suite", title="Some suite", criticality=text)
    assert manifest.criticality is member
    assert manifest == SuiteManifest("some_suite", "Some suite", member)


def test_the_allowed_strings_are_the_enum_values() -> None:
    assert CRITICALITIES == ("critical", "major", "minor")


@pytest.mark.parametrize("value", ["high", "CRITICAL", "Criticality.CRITICAL", "", 1, None])
def test_any_other_value_names_the_suite_and_the_allowed_ones(value: Any) -> None:
    with pytest.raises(SuiteLoadError) as raised:
        SuiteManifest("some_suite", "Some suite", value)
    assert str(raised.value) == (
        f"suite 'some_suite': criticality {value!r} is not one of Criticality.CRITICAL, "
        "Criticality.MAJOR, Criticality.MINOR (or their values 'critical', 'major', 'minor')"
    )


@pytest.mark.parametrize(
    ("criticality", "loaded", "error"),
    [
        ('"major"', Criticality.MAJOR, None),
        ("Criticality.MINOR", Criticality.MINOR, None),
        ('"severe"', None, "suite 'old_suite': criticality 'severe' is not one of"),
    ],
)
def test_a_third_party_suite_loads_with_the_enum_or_its_value_only(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    criticality: str,
    loaded: Criticality | None,
    error: str | None,
) -> None:
    """A suite written with a string still loads; an unknown value is its load error."""
    package = tmp_path / "old_suite"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from harness.suite_api import Criticality, SuiteManifest\n"
        f"MANIFEST = SuiteManifest('old_suite', 'Old suite', {criticality})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "old_suite", raising=False)  # another case's package
    suite = load_suite("old_suite", "old_suite")
    assert (suite.manifest.criticality if suite.manifest else None) is loaded
    if error is None:
        assert suite.error is None
    else:
        assert suite.error is not None and error in suite.error
