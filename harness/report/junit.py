"""What junit.xml shows of a verdict: red exactly when the verdict is NOT_APPROVED or INCOMPLETE.

Each test becomes a test case whose kind (``failure``, ``error``, ``skipped`` or
``passed``) follows the verdict: a failure the verdict accepts (a valid waiver, a
minor suite, or any failure of an approved run) is a skipped case that says why,
so that CI is not red while the verdict approves. Every blocking or incomplete
reason that no red case carries (a missed budget, an empty suite, a flaky
critical test, tests that never ran) becomes a failed case of its own in the
``(verdict)`` suite, so that CI is never green while the verdict is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.verdict.records import Criticality

Verdict = Mapping[str, Any]

RED_VERDICTS = ("NOT_APPROVED", "INCOMPLETE")
RED_SEVERITIES = ("blocker", "incomplete")
RED_KINDS = ("failure", "error")
# The reason rules of run errors (docs/POLICY.md): carried by the "(run)" suite's cases.
RUN_ERROR_RULES = frozenset(
    {
        "preflight-failed",
        "worker-crash",
        "harness-timeout",
        "harness-crash",
        "collection-error",
        "run-error",
        "served-not-ready",
        "served-process-exited",
    }
)
VERDICT_SUITE = "(verdict)"


def _waived(test: Mapping[str, Any]) -> bool:
    waiver = test.get("waiver")
    if not waiver or waiver.get("expired"):
        return False
    return bool(waiver.get("applied", True))


def _case(test: Mapping[str, Any], suite: Mapping[str, Any], red: bool) -> dict[str, str]:
    """The kind and message of one test's case."""
    outcome, message = test["outcome"], test.get("message") or ""
    if outcome in ("skipped", "not_run"):
        return {"kind": "skipped", "message": message or outcome}
    if outcome not in ("failed", "error"):
        return {"kind": "passed", "message": ""}
    if outcome == "failed" and _waived(test):
        waiver = test["waiver"]
        why = (
            f"waived by {waiver['ticket']} until {waiver['expires']} "
            f"(owner {waiver['owner']}): {waiver['reason']}"
        )
    elif outcome == "failed" and suite.get("criticality") == Criticality.MINOR.value:
        why = f"a failure of minor suite {suite['name']}: a condition of the release"
    elif not red:
        why = "accepted: the verdict approves the run"
    else:
        return {"kind": "failure" if outcome == "failed" else "error", "message": message}
    return {"kind": "skipped", "message": f"{outcome}, {why}: {message}"}


def junit_view(verdict: Verdict) -> dict[str, Any]:
    """Cases per suite, not-applicable cases, the verdict's own failed cases, and the counts."""
    red = verdict["verdict"] in RED_VERDICTS
    run_errors = verdict.get("run_errors") or []
    left_out: dict[str, list[Mapping[str, Any]]] = {}
    for entry in verdict.get("not_applicable") or []:
        left_out.setdefault(entry["suite"], []).append(entry)
    suites: dict[str, dict[str, Any]] = {}
    kinds: dict[str, str] = {}
    for suite in verdict["suites"]:
        cases = {}
        for test in suite["tests"]:
            cases[test["id"]] = _case(test, suite, red)
            kinds[test["id"]] = cases[test["id"]]["kind"]
        na = left_out.pop(suite["name"], [])
        load = 1 if suite.get("load_error") else 0
        listed = [c["kind"] for c in cases.values()]
        suites[suite["name"]] = {
            "cases": cases,
            "not_applicable": na,
            "tests": len(listed) + len(na) + load,
            "failures": listed.count("failure"),
            "errors": listed.count("error") + load,
            "skipped": listed.count("skipped") + len(na),
        }
    loaded = {s["name"] for s in verdict["suites"] if not s.get("load_error")}
    uncarried = []
    for reason in verdict["reasons"]:
        if reason.get("severity") not in RED_SEVERITIES:
            continue
        if any(kinds.get(tid) in RED_KINDS for tid in reason.get("tests") or []):
            continue
        if reason["rule"] in RUN_ERROR_RULES and run_errors:
            continue
        if reason["rule"] == "suite-load-error" and reason.get("suite") not in loaded:
            continue
        uncarried.append(reason)
    # Tests left out of a suite this verdict does not list still get their cases.
    stray = [entry for entries in left_out.values() for entry in entries]
    totals = {
        key: sum(s[key] for s in suites.values())
        for key in ("tests", "failures", "errors", "skipped")
    }
    totals["tests"] += len(run_errors) + len(uncarried) + len(stray)
    totals["errors"] += len(run_errors)
    totals["failures"] += len(uncarried)
    totals["skipped"] += len(stray)
    return {**totals, "suites": suites, "verdict_cases": uncarried, "stray": stray}
