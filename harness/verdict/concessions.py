"""Reasons for what the policy concedes: limits left unverified, a suite's lowered criticality.

Both weaken the gate on purpose, so both are named in the verdict: a skipped
limit test only when the policy's ``[limits] may_skip`` allows that limit (else
the run is INCOMPLETE), and a lowered criticality only with the approver and
reason the policy gives (else the manifest's criticality applies).
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.verdict.model import RANK, FinalOutcome, Reason, Severity, TestVerdict
from harness.verdict.policy import Policy
from harness.verdict.records import Criticality, SuiteRecord


def limit_skipped(test: TestVerdict) -> tuple[str, str] | None:
    """Return (limit, "limit=value") when the test was skipped to leave a limit unverified."""
    if test.outcome is not FinalOutcome.SKIPPED or not test.attempts:
        return None
    found = test.attempts[-1].limit_skip
    if found is None:
        return None
    limit, value = found
    return limit, f"{limit}={value}"


def limit_reasons(suite: str, tests: Sequence[TestVerdict], policy: Policy) -> list[Reason]:
    """Return the condition for allowed limit skips and the INCOMPLETE for the others."""
    allowed: dict[str, list[str]] = {}
    refused: dict[str, list[str]] = {}
    for test in tests:
        found = limit_skipped(test)
        if found is not None:
            limit, value = found
            group = allowed if limit in policy.limits_may_skip else refused
            group.setdefault(value, []).append(test.id)
    out: list[Reason] = []
    if allowed:
        message = (
            f"limits not verified in suite {suite}: {', '.join(allowed)} "
            "(larger than the suite can exercise; the policy's [limits] may_skip allows it)"
        )
        ids = tuple(i for hit in allowed.values() for i in hit)
        out.append(Reason("limit-not-verified", Severity.CONDITION, suite, message, ids))
    if refused:
        message = (
            f"limits not verified in suite {suite}: {', '.join(refused)}, and the policy's "
            "[limits] may_skip does not allow leaving them unverified"
        )
        ids = tuple(i for hit in refused.values() for i in hit)
        out.append(Reason("limit-skip-not-allowed", Severity.INCOMPLETE, suite, message, ids))
    return out


def effective_criticality(suite: SuiteRecord, policy: Policy) -> Criticality:
    """Return the policy's criticality of ``suite``, unless it lowers it without approval."""
    if policy.lowers(suite.name, suite.criticality) and suite.name not in policy.approvals:
        return suite.criticality
    return policy.criticality_of(suite.name, suite.criticality)


def lowering_reason(
    suite: SuiteRecord,
    policy: Policy,
    declared: Sequence[Reason],
    applied: Sequence[Reason],
) -> Reason | None:
    """Return the line naming a lowered criticality, or None when the policy lowers nothing.

    ``declared`` and ``applied`` are the suite's reasons under its manifest's and
    under the policy's criticality: the line is a condition when they differ in
    strongest severity (the lowering changed the judgement), else a note.
    """
    if not policy.lowers(suite.name, suite.criticality):
        return None
    name, manifest = suite.name, suite.criticality.value
    level = policy.criticality_of(suite.name, suite.criticality).value
    approval = policy.approvals.get(name)
    if approval is None:
        message = (
            f"policy {policy.source} lowers suite {name} from {manifest} to {level} without "
            f"an approver and a reason: its manifest's criticality ({manifest}) applies"
        )
        return Reason("criticality-lowering-not-approved", Severity.INFO, name, message)
    changed = _strongest(declared) != _strongest(applied)
    effect = "; this changed the suite's judgement" if changed else ""
    message = (
        f"policy {policy.source} lowers suite {name} from {manifest} (its manifest) to {level}, "
        f"approved by {approval.approver}: {approval.reason}{effect}"
    )
    severity = Severity.CONDITION if changed else Severity.INFO
    return Reason("criticality-lowered", severity, name, message)


def _strongest(reasons: Sequence[Reason]) -> int:
    return min((RANK[r.severity] for r in reasons), default=len(RANK))
