"""Rule status: what a run established about each rule of the catalogue, from its tests.

A rule is ``violated`` when a planned test naming it failed in any attempt (a
flaky test whose failed attempt was a failure counts: the target broke the
rule once), ``verified`` when every planned test naming it passed,
``not_verified`` when some did not pass (error, skip, not run) and none
failed, or when no planned test names it, and ``not_applicable`` when every
test naming it was left out of the plan (a missing input such as
``--converter``) or, though planned, does not make its check because the
target's profile lacks a capability the rule needs (``record.rules_left_out``):
a test's other rules still count. docs/VERDICT_JSON.md documents the result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from harness.rules import Rule
from harness.verdict.model import FinalOutcome, RuleStatus, RuleVerdict, TestVerdict
from harness.verdict.records import NotApplicable, RunRecord

# How many tests a reason names before it says "and N more".
_NAMED = 3
_MESSAGE_CHARS = 160
NO_TEST = "no test of the selected suites names it"


def judge_rules(record: RunRecord, planned: Sequence[TestVerdict]) -> tuple[RuleVerdict, ...]:
    """Return the status of every rule of ``record.rules``, in catalogue order."""
    left_out: dict[str, list[NotApplicable]] = {}
    not_checked: set[tuple[str, str]] = set()
    for entry in record.rules_left_out:
        for rule_id in entry.rules:
            left_out.setdefault(rule_id, []).append(entry)
            not_checked.add((entry.id, rule_id))
    for entry in record.not_applicable:
        for rule_id in entry.rules or record.test_rules.get(entry.id, ()):
            left_out.setdefault(rule_id, []).append(entry)
    naming: dict[str, list[TestVerdict]] = {}
    for test in planned:
        for rule_id in record.test_rules.get(test.id, ()):
            if (test.id, rule_id) not in not_checked:
                naming.setdefault(rule_id, []).append(test)
    evidence = _evidence(planned)
    return tuple(
        _rule(rule, naming.get(rule.id, []), left_out.get(rule.id, []), evidence.get(rule.id, []))
        for rule in record.rules
    )


def _rule(
    rule: Rule,
    tests: list[TestVerdict],
    left_out: list[NotApplicable],
    evidence: list[dict[str, Any]],
) -> RuleVerdict:
    ids = tuple(t.id for t in tests)
    found = tuple(evidence)
    if not tests:
        if left_out:
            reason = merged_reasons(entry.reason for entry in left_out)
            na_ids = tuple(entry.id for entry in left_out)
            return RuleVerdict(
                rule.id, rule.section, rule.text, RuleStatus.NOT_APPLICABLE, na_ids, reason
            )
        return RuleVerdict(rule.id, rule.section, rule.text, RuleStatus.NOT_VERIFIED, (), NO_TEST)
    failed = [t for t in tests if t.outcome is FinalOutcome.FAILED or t.failed_once]
    # A failure that names the rule its check broke (a frame that breaks the dialect)
    # violates that rule only; the test's other rules are then not verified by it.
    blamed = [t for t in failed if not _broken_rules(t) or rule.id in _broken_rules(t)]
    if blamed:
        reason = f"failed in {_names([t.id for t in blamed])}"
        return RuleVerdict(
            rule.id, rule.section, rule.text, RuleStatus.VIOLATED, ids, reason, found
        )
    if failed:
        described = [f"{t.id} (broke {', '.join(_broken_rules(t))})" for t in failed]
        reason = (
            f"{len(failed)} of {len(tests)} tests failed on another rule's check: "
            f"{_names(described)}"
        )
        return RuleVerdict(
            rule.id, rule.section, rule.text, RuleStatus.NOT_VERIFIED, ids, reason, found
        )
    unsure = [t for t in tests if t.outcome is not FinalOutcome.PASSED]
    if unsure:
        described = [_describe(t) for t in unsure]
        reason = f"{len(unsure)} of {len(tests)} tests did not pass: {_names(described)}"
        return RuleVerdict(
            rule.id, rule.section, rule.text, RuleStatus.NOT_VERIFIED, ids, reason, found
        )
    return RuleVerdict(rule.id, rule.section, rule.text, RuleStatus.VERIFIED, ids, None, found)


def _broken_rules(test: TestVerdict) -> tuple[str, ...]:
    """The rules the check that failed the test names as broken (a frame that breaks the
    target's dialect, a turn's invariant), or () when the failure names none."""
    attempt = test.deciding_attempt
    deviation = attempt.deviation if attempt is not None else None
    return deviation.rules if deviation is not None else ()


def _describe(test: TestVerdict) -> str:
    """Return "id (outcome: message)" of a test that did not pass."""
    final = test.attempts[-1] if test.attempts else None
    message = " ".join((final.message if final else "").split())
    if len(message) > _MESSAGE_CHARS:
        message = message[: _MESSAGE_CHARS - 1] + "…"
    outcome = test.outcome.value.replace("_", " ")
    return f"{test.id} ({outcome}: {message})" if message else f"{test.id} ({outcome})"


def _names(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_NAMED])
    more = len(items) - _NAMED
    return f"{shown} and {more} more" if more > 0 else shown


def _evidence(planned: Sequence[TestVerdict]) -> dict[str, list[dict[str, Any]]]:
    """Return each rule's evidence entries from the attempt that decided each test."""
    found: dict[str, list[dict[str, Any]]] = {}
    for test in planned:
        attempt = test.deciding_attempt
        for entry in attempt.evidence if attempt is not None else ():
            rule_id = entry.get("rule")
            if isinstance(rule_id, str):
                found.setdefault(rule_id, []).append(
                    {
                        "test": test.id,
                        "sent": entry.get("sent"),
                        "expected": entry.get("expected"),
                        "observed": entry.get("observed"),
                    }
                )
    return found


# Why a test was left out for a capability its target lacks (harness.run.selection).
_LACKS: Final = re.compile(
    r"^the target's profile (.+) lacks ([a-z0-9_, ]+) \(the test needs it\)$"
)


def lacks_reason(profile: str, missing: Sequence[str]) -> str:
    """Why a test that needs the capabilities `missing` cannot run on a target of `profile`."""
    return f"the target's profile {profile} lacks {', '.join(missing)} (the test needs it)"


def merged_reasons(reasons: Any) -> str:
    """The reasons a rule's tests were left out, each once: the capabilities one profile
    lacks for several tests are named together, once each (not once per test)."""
    out: dict[str, list[str]] = {}  # a reason, or "lacks:PROFILE" -> its reasons
    for reason in reasons:
        found = _LACKS.match(reason)
        key = reason if found is None else f"lacks:{found.group(1)}"
        if reason not in out.setdefault(key, []):
            out[key].append(reason)
    return "; ".join(
        same[0] if len(same) == 1 else _together(key.removeprefix("lacks:"), same)
        for key, same in out.items()
    )


def _together(profile: str, reasons: list[str]) -> str:
    missing: list[str] = []
    for reason in reasons:
        found = _LACKS.match(reason)
        assert found is not None
        missing += [c for c in found.group(2).split(", ") if c not in missing]
    return f"the target's profile {profile} lacks {', '.join(missing)} (its tests need them)"
