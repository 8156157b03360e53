"""Suites see the harness through `harness.suite_api` alone, and its names are what it says."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import harness.suite_api as api
from harness.wire.connect import open_client

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "harness.suite_api"


def harness_imports(path: Path) -> list[tuple[int, str]]:
    """Every module of `harness` that a file imports (anywhere in it), with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            if node.module == "harness":  # `from harness import wire`
                found += [(node.lineno, f"harness.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "harness"]


def test_suites_import_no_harness_module_but_the_public_one() -> None:
    files = sorted((ROOT / "suites").rglob("*.py")) + sorted(
        (ROOT / "tests" / "suite_api" / "example_suite").rglob("*.py")
    )
    assert len(files) > 40
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in files
        for line, name in harness_imports(path)
        if name != PUBLIC
    ]
    assert offending == []


def test_the_guard_sees_every_form_of_import(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "import harness.wire.client\n"
        "from harness import errors\n"
        "from harness.suite_api import Client\n"
        "def f():\n"
        "    from harness.run.shard import shard_of\n"
        "import harnessing\n"
    )
    assert harness_imports(source) == [
        (1, "harness.wire.client"),
        (2, "harness"),
        (2, "harness.errors"),
        (3, "harness.suite_api"),
        (5, "harness.run.shard"),
    ]


def test_every_public_name_is_defined() -> None:
    missing = [name for name in api.__all__ if not hasattr(api, name)]
    assert missing == []
    for name in ("Connect", "Metrics", "Evidence", "PrivateTarget", "SuiteManifest", "rules"):
        assert name in api.__all__


def test_connect_takes_what_the_fixture_passes_on_to_open_client() -> None:
    """The `connect` fixture forwards its options to `open_client` and sets causes and profile."""
    protocol = inspect.signature(api.Connect.__call__).parameters
    opener = inspect.signature(open_client).parameters
    assert list(protocol) == [
        "self",
        "user",
        "transport",
        "token",
        "headers",
        "subprotocols",
        "query",
        "established",
        "within",
        "compression",
    ]
    for name in list(protocol)[2:]:
        assert protocol[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert protocol[name].default == opener[name].default, name
    assert [name for name in opener if name not in protocol] == [
        "ws_url",
        "transcript",
        "causes",
        "profile",
    ]


def test_the_rules_marker_is_pytest_mark_rules() -> None:
    mark = api.rules("2.type.ping", "6.close.never-1011").mark
    assert (mark.name, mark.args) == ("rules", ("2.type.ping", "6.close.never-1011"))
