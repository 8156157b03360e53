"""`stability-harness suites` and `rules`: what is installed, and which tests verify which rule."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.exit_codes import ExitCode
from harness.report.listing import print_listing
from harness.rules import load_catalogue
from harness.run.results import test_id
from harness.run.selection import rules_of
from harness.run.suite import InstalledSuite, discover_suites


class _Collector:
    """Collects node ids and the rules each test names, without running anything."""

    def __init__(self) -> None:
        self.items: list[tuple[str, tuple[str, ...]]] = []
        self.errors: list[str] = []
        self.rootpath = Path.cwd()
        self._left_out: list[pytest.Item] = []

    @pytest.hookimpl
    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        # Tests the default profile leaves out (a dialect's own statements): still tests.
        self._left_out.extend(items)

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.rootpath = session.config.rootpath
        every = [*session.items, *self._left_out]
        self.items = [(item.nodeid, rules_of(item)) for item in every]

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(report.nodeid)


@dataclass
class Plan:
    """What the loadable suites plan (both phases, converter tests included)."""

    tests: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Planned tests per suite."""
        return {suite: len(tests) for suite, tests in self.tests.items()}

    def tests_of_rule(self) -> dict[str, list[str]]:
        """Rule id -> the test ids that name it."""
        found: dict[str, list[str]] = {}
        for tests in self.tests.values():
            for ident, rules in tests:
                for rule in rules:
                    found.setdefault(rule, []).append(ident)
        return found


def collect_plan(suites: list[InstalledSuite]) -> Plan:
    """Collect the loadable suites in-process (converter and long-wait tests kept, and those
    the default profile leaves out) and map tests to rules."""
    loadable = [s for s in suites if s.error is None and s.path is not None]
    plan = Plan(tests={s.name: [] for s in loadable})
    if not loadable:
        return plan
    collector = _Collector()
    paths = [str(s.path) for s in loadable]
    rootdir = os.path.commonpath([str(Path(p).parent) for p in paths])
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", rootdir, *paths]
    args += ["--harness-converter", "harness.reference.timestamps:normalise_timestamp"]
    args.append("--harness-long-waits")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(args, plugins=[collector])
    for nodeid, rules in collector.items:
        ident = test_id(nodeid, collector.rootpath, loadable)
        if ident is not None:
            plan.tests[ident[0]].append((ident[1], rules))
    plan.errors = collector.errors
    return plan


def planned_counts(suites: list[InstalledSuite]) -> tuple[dict[str, int], list[str]]:
    """Tests each loadable suite plans (both phases), and the node ids that failed to collect."""
    plan = collect_plan(suites)
    return plan.counts(), plan.errors


def suites_main() -> int:
    """Print the installed suites; a suite that fails to load is listed and makes the exit 4."""
    suites = discover_suites()
    counts, collect_errors = planned_counts(suites)
    rows = []
    for suite in suites:
        manifest = suite.manifest
        if manifest is None:
            rows.append([suite.name, "failed to load", "-", "-", "-", suite.module])
            continue
        rows.append(
            [
                suite.name,
                manifest.title,
                manifest.criticality.value,
                str(counts.get(suite.name, 0)),
                ", ".join(manifest.capabilities) or "-",
                suite.module,
            ]
        )
    print_listing(
        "Installed suites",
        ("suite", "title", "criticality", "planned", "capabilities", "module"),
        rows,
    )
    broken = [s for s in suites if s.error is not None]
    for suite in broken:
        print(f"error: suite {suite.name} failed to load: {suite.error}", file=sys.stderr)
    for nodeid in collect_errors:
        print(f"error: cannot collect {nodeid}", file=sys.stderr)
    return ExitCode.USAGE if broken or collect_errors else ExitCode.OK


def defects_main(profile: str | None = None) -> int:
    """Print the reference server's defect catalogue (with --profile: which apply to it)."""
    from harness.reference.defects import CATALOGUE

    if profile is None:
        rows = [[d.name, d.breaks, ", ".join(d.caught_by)] for d in CATALOGUE]
        print_listing("Reference server defects", ("name", "what it breaks", "caught by"), rows)
        return ExitCode.OK
    from harness.wire.profile import load_profile

    loaded = load_profile(profile)
    have = loaded.capabilities
    rows = [
        [
            d.name,
            "yes"
            if d.applies(have)
            else f"no: {loaded.name} lacks {', '.join(loaded.lacks(d.needs))}",
            d.breaks,
            ", ".join(d.caught_by),
        ]
        for d in CATALOGUE
    ]
    print_listing(
        f"Reference server defects in {loaded.name}",
        ("name", "applies", "what it breaks", "caught by"),
        rows,
    )
    return ExitCode.OK


def rules_main(output_format: str = "plain", *, with_tests: bool = False) -> int:
    """Print the rule catalogue (plain or JSON), with the built-in tests of each rule."""
    catalogue = load_catalogue()
    tests = collect_plan(discover_suites()).tests_of_rule() if with_tests else {}
    if output_format == "json":
        document = {
            "sections": {str(k): v for k, v in catalogue.sections.items()},
            "capabilities": dict(catalogue.capabilities),
            "rules": [
                {
                    "id": rule.id,
                    "section": rule.section,
                    "text": rule.text,
                    "capabilities": list(rule.capabilities),
                    **({"tests": tests.get(rule.id, [])} if with_tests else {}),
                }
                for rule in catalogue.rules
            ],
        }
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return ExitCode.OK
    columns: Sequence[str] = ("id", "section", "capabilities", "text")
    rows = [
        [rule.id, str(rule.section), ", ".join(rule.capabilities) or "-", rule.text]
        for rule in catalogue.rules
    ]
    if with_tests:
        columns = (*columns, "tests")
        for row, rule in zip(rows, catalogue.rules, strict=True):
            row.append(str(len(tests.get(rule.id, []))))
    print_listing(f"Rule catalogue ({len(catalogue.rules)} rules)", columns, rows)
    return ExitCode.OK


def profile_show_main(name: str, *, resolved: bool = False) -> int:
    """Print a built-in profile's TOML (or, resolved, the merged profile as JSON)."""
    from harness.wire.profile import built_in_text, load_profile

    if resolved:
        profile = load_profile(name)
        document = {"name": profile.name, "chain": list(profile.chain), **profile.data}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return ExitCode.OK
    sys.stdout.write(built_in_text(name))
    return ExitCode.OK


def turn_summary(profile: Any) -> str:
    """One line of how the dialect frames an agent's turn (docs/TURNS.md)."""
    from harness.wire.turn_shape import shape_of

    shape = shape_of(profile)

    def kinds(matchers: Any) -> str:
        return "|".join(dict.fromkeys(m.type for m in matchers)) or "-"

    text = "streamed" if shape.streams_text else "whole"
    arguments = "streamed" if shape.streams_arguments else "whole"
    return (
        f"agent {shape.agent}; start {kinds(shape.start)}; completed {kinds(shape.completed)}; "
        f"failed {kinds(shape.failed)}; cancelled {kinds(shape.cancelled)}; text {text}; "
        f"tool calls {kinds(shape.tool.start)} (arguments {arguments}, "
        f"paired by {shape.tool.id or 'order'})"
    )


def profile_check_main(spec: str) -> int:
    """Validate a profile, then print per suite the rules it can and cannot verify on it."""
    from harness.wire.profile import load_profile

    profile = load_profile(spec)
    catalogue = load_catalogue().by_id
    chain = " -> ".join(profile.chain)
    print(f"{spec}: valid profile {profile.name!r} ({chain})")
    print(f"capabilities: {', '.join(sorted(profile.capabilities)) or '-'}")
    lacking = sorted(set(load_catalogue().capabilities) - profile.capabilities)
    print(f"lacks: {', '.join(lacking) or '-'}")
    print(f"turn: {turn_summary(profile)}")
    plan = collect_plan(discover_suites())
    rows = []
    for suite, tests in sorted(plan.tests.items()):
        rules = sorted({rule for _, named in tests for rule in named if rule in catalogue})
        cannot = [(r, profile.lacks(catalogue[r].capabilities)) for r in rules]
        cannot = [(r, lack) for r, lack in cannot if lack]
        rows.append(
            [
                suite,
                str(len(rules) - len(cannot)),
                str(len(cannot)),
                "; ".join(f"{r} (needs {', '.join(lack)})" for r, lack in cannot) or "-",
            ]
        )
    print_listing("Rules per suite", ("suite", "can verify", "cannot", "not verifiable"), rows)
    return ExitCode.OK


def profile_asyncapi_main(spec: str, out: Path | None) -> int:
    """Write the AsyncAPI 3.0 document of a profile's dialect (JSON) to `out` or stdout."""
    from harness.errors import ConfigError
    from harness.wire.asyncapi import asyncapi_document
    from harness.wire.profile import load_profile

    text = json.dumps(asyncapi_document(load_profile(spec)), indent=2, ensure_ascii=False)
    if out is None:
        sys.stdout.write(text + "\n")
        return ExitCode.OK
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {out}")
    return ExitCode.OK
