"""`stability-harness suites`: the installed suites with their planned test counts."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

from harness.run.results import test_id
from harness.run.suite import InstalledSuite, discover_suites

EXIT_BROKEN_SUITE = 4


class _Collector:
    """Collects node ids without running anything."""

    def __init__(self) -> None:
        self.nodeids: list[str] = []
        self.errors: list[str] = []
        self.rootpath = Path.cwd()

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.rootpath = session.config.rootpath
        self.nodeids = [item.nodeid for item in session.items]

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(report.nodeid)


def planned_counts(suites: list[InstalledSuite]) -> tuple[dict[str, int], list[str]]:
    """Tests each loadable suite plans (both phases), and the node ids that failed to collect."""
    loadable = [s for s in suites if s.error is None]
    if not loadable:
        return {}, []
    collector = _Collector()
    paths = [str(s.path) for s in loadable if s.path is not None]
    rootdir = os.path.commonpath([str(Path(p).parent) for p in paths])
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", rootdir, *paths]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(args, plugins=[collector])
    counts = {s.name: 0 for s in loadable}
    for nodeid in collector.nodeids:
        ident = test_id(nodeid, collector.rootpath, loadable)
        if ident is not None:
            counts[ident[0]] += 1
    return counts, collector.errors


def suites_table(suites: list[InstalledSuite], counts: dict[str, int]) -> Table:
    """Name, title, criticality, planned tests and needs of every installed suite."""
    table = Table(title="Installed suites")
    for column in ("suite", "title", "criticality", "planned", "capabilities", "module"):
        table.add_column(column, justify="right" if column == "planned" else "left")
    for suite in suites:
        manifest = suite.manifest
        if manifest is None:
            table.add_row(suite.name, "[red]failed to load[/red]", "-", "-", "-", suite.module)
            continue
        table.add_row(
            suite.name,
            manifest.title,
            manifest.criticality,
            str(counts.get(suite.name, 0)),
            ", ".join(manifest.capabilities) or "-",
            suite.module,
        )
    return table


def suites_main() -> int:
    """Print the suite table; a suite that fails to load is listed and makes the exit code 4."""
    suites = discover_suites()
    counts, collect_errors = planned_counts(suites)
    console = Console(highlight=False)
    console.print(suites_table(suites, counts))
    broken = [s for s in suites if s.error is not None]
    for suite in broken:
        console.print(f"error: suite {suite.name} failed to load: {suite.error}", markup=False)
    for nodeid in collect_errors:
        console.print(f"error: cannot collect {nodeid}", markup=False)
    return EXIT_BROKEN_SUITE if broken or collect_errors else 0
