"""The example suite of docs/WRITING_SUITES.md is this folder's, and it judges a server."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ..e2e.conftest import RUN_DEADLINE_S, harness

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / "example_suite"
GUIDE = HERE.parents[1] / "docs" / "WRITING_SUITES.md"
TEST = "example_suite::test_calculator::test_one_calculator_call_gets_the_exact_result"


def example_blocks(markdown: str) -> dict[str, str]:
    """The guide's Python code blocks whose first line names a file of the example suite."""
    blocks = re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL)
    named = {}
    for block in blocks:
        first = block.split("\n", 1)[0]
        if first.startswith("# example_suite/"):
            named[first.removeprefix("# example_suite/")] = block
    return named


def test_the_guide_shows_the_example_suite_as_it_is() -> None:
    files = {path.name: path.read_text() for path in sorted(EXAMPLE.glob("*.py"))}
    assert sorted(files) == ["__init__.py", "test_calculator.py"]
    assert example_blocks(GUIDE.read_text()) == files


def install_example(site: Path) -> None:
    """The example suite as an installed third-party package, registered by its entry point."""
    shutil.copytree(EXAMPLE, site / "example_pkg" / "example_suite")
    (site / "example_pkg" / "__init__.py").write_text("")
    dist = site / "example_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: example-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[stability_harness.suites]\nexample_suite = example_pkg.example_suite\n"
    )


@pytest.mark.timeout(RUN_DEADLINE_S + 30)
def test_the_example_suite_passes_on_the_reference_server(tmp_path: Path, extra_site: Path) -> None:
    install_example(extra_site)
    run = harness("run", "--suite", "example_suite", out=tmp_path / "out")
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "APPROVED"
    suite = run.suite("example_suite")
    assert (suite["status"], suite["planned"], suite["passed"]) == ("PASS", 1, 1)


@pytest.mark.timeout(RUN_DEADLINE_S + 30)
def test_the_example_suite_fails_a_server_that_drops_tool_completed(
    tmp_path: Path, extra_site: Path
) -> None:
    install_example(extra_site)
    run = harness(
        "run", "--suite", "example_suite", "--defect", "drop-tool-completed", out=tmp_path / "out"
    )
    assert run.code == 1, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "NOT_APPROVED"
    suite = run.suite("example_suite")
    assert (suite["status"], suite["planned"], suite["failed"]) == ("FAIL", 1, 1)
    (test,) = suite["tests"]
    assert test["id"] == TEST
    assert test["outcome"] == "failed"
    assert "the tool events of the run" in test["message"]
