"""Which collected tests a phase plans: the rules each names, the tests a target's profile
or the run's inputs leave out (with the reason), and the phase's plan file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.verdict.rule_status import lacks_reason

NO_CONVERTER = "no timestamp converter under test (pass --converter MODULE:FUNCTION)"
NO_PRIVATE_TARGET = (
    "the harness cannot start and shut down an instance of a remote target "
    "(only of the embedded one, or of one it serves: run --serve CMD)"
)
NO_LONG_WAITS = (
    "waits out the 60 s rate window (plan it with the pytest option --harness-long-waits)"
)


def unfit(profile: Any, item: pytest.Item) -> str | None:
    """Why a test cannot run on a target of `profile` for a reason its markers state."""
    recorded = item.get_closest_marker("requires_profile")
    if recorded is not None and recorded.args and recorded.args[0] != profile.name:
        return f"recorded in the {recorded.args[0]} dialect; the target speaks {profile.name}"
    needs = item.get_closest_marker("needs_message_bytes")
    largest = int(profile.section("capabilities")["max_message_bytes"])
    if needs is not None and needs.args and int(needs.args[0]) > largest:
        return (
            f"sends a frame of about {needs.args[0]} bytes; the target's profile "
            f"{profile.name} accepts at most {largest}"
        )
    return None


def lacking(
    profile: Any,
    rules: tuple[str, ...],
    premises: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
) -> str | None:
    """Why a test naming `rules` cannot run on a target of `profile`, or None: a capability
    it `needs` is lacking, or every rule it names, or one of its `premises`, needs one."""
    missing = profile.lacks(needs)
    if missing:
        return lacks_reason(profile.name, missing)
    if not rules:
        return None
    out = rules_out(profile, rules)
    for premise in premises:
        if premise in out:
            return f"{out[premise]} (the test's premise, rule {premise}, needs it)"
    if len(out) < len(rules):
        return None
    return "; ".join(dict.fromkeys(out.values()))


def rules_out(profile: Any, rules: tuple[str, ...]) -> dict[str, str]:
    """The rules of `rules` a target of `profile` cannot be checked for, each with the
    reason (the capabilities it needs that the profile lacks), in order."""
    from harness.rules import load_catalogue

    catalogue = load_catalogue().by_id
    out: dict[str, str] = {}
    for rule in rules:
        if rule in catalogue:
            lacks = profile.lacks(catalogue[rule].capabilities)
            if lacks:
                out[rule] = f"the target's profile {profile.name} lacks {', '.join(lacks)}"
    return out


def rules_of(item: pytest.Item) -> tuple[str, ...]:
    """The rule ids a test names with `@pytest.mark.rules` and `@pytest.mark.premise`
    (every such mark, in order)."""
    ids: list[str] = []
    for mark in item.iter_markers("rules"):
        ids.extend(str(arg) for arg in mark.args)
    ids.extend(premises_of(item))
    return tuple(dict.fromkeys(ids))


def needs_of(item: pytest.Item) -> tuple[str, ...]:
    """The capabilities a test names with `@pytest.mark.needs`: it checks nothing without
    them (the scripted agent's known answers, say)."""
    ids: list[str] = []
    for mark in item.iter_markers("needs"):
        ids.extend(str(arg) for arg in mark.args)
    return tuple(dict.fromkeys(ids))


def premises_of(item: pytest.Item) -> tuple[str, ...]:
    """The rules a test names with `@pytest.mark.premise`: it checks nothing without them."""
    ids: list[str] = []
    for mark in item.iter_markers("premise"):
        ids.extend(str(arg) for arg in mark.args)
    return tuple(dict.fromkeys(ids))


def unknown_rules(items: list[pytest.Item]) -> str | None:
    """A one-line error naming the first test that names a rule the catalogue lacks."""
    marked = [(item, rules_of(item)) for item in items]
    if not any(rules for _, rules in marked):
        return None
    from harness.rules import load_catalogue

    loaded = load_catalogue()
    catalogue = loaded.by_id
    for item, rules in marked:
        for rule in rules:
            if rule not in catalogue:
                return f"{item.nodeid}: @pytest.mark.rules names unknown rule {rule!r}"
        for capability in needs_of(item):
            if capability not in loaded.capabilities:
                return f"{item.nodeid}: @pytest.mark.needs names unknown capability {capability!r}"
    return None


def write_plan(
    config: pytest.Config,
    out: Path,
    items: list[pytest.Item],
    not_applicable: dict[pytest.Item, str],
    rules_dropped: dict[pytest.Item, dict[str, str]],
) -> None:
    """Write the phase's plan file: each test's rules (and those of its rules whose checks
    the target's profile leaves out, with the reason), and the tests left out with the reason.

    Written by whichever process collected (each xdist worker collects the same items),
    atomically, so that the runner can read it even for tests that never ran.
    """
    from harness.run.results import PlanFile
    from harness.run.suite import discover_suites

    suites = [s for s in discover_suites() if s.path is not None]
    PlanFile.write(
        out,
        int(config.getoption("harness_phase")),
        [(item.nodeid, rules_of(item), rules_dropped.get(item, {})) for item in items],
        [(item.nodeid, rules_of(item), reason) for item, reason in not_applicable.items()],
        config.rootpath,
        suites,
        # Phase 2's tests, counted before `-m` leaves them out of this phase.
        serial=sum(
            1
            for item in items
            if item.get_closest_marker("perf") and not item.get_closest_marker("load")
        ),
    )
