"""The verdict engine: ``judge(record, policy, today=...)`` turns a run into a Verdict.

``Verdict.to_json()`` gives the verdict.json document of docs/VERDICT_JSON.md.
"""

from __future__ import annotations

from harness.verdict.judge import judge, verdict_for_early_exit
from harness.verdict.model import (
    FinalOutcome,
    MetricVerdict,
    Reason,
    Severity,
    SuiteStatus,
    SuiteVerdict,
    TestVerdict,
    VerdictKind,
    WaiverUse,
)
from harness.verdict.run_verdict import Verdict, verdict_document

__all__ = [
    "FinalOutcome",
    "MetricVerdict",
    "Reason",
    "Severity",
    "SuiteStatus",
    "SuiteVerdict",
    "TestVerdict",
    "Verdict",
    "VerdictKind",
    "WaiverUse",
    "judge",
    "verdict_document",
    "verdict_for_early_exit",
]
