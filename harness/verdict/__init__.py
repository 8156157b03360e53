"""The verdict engine: ``judge(record, policy, today=...)`` turns a run into a Verdict.

``Verdict.to_json()`` gives the verdict.json document of docs/VERDICT_JSON.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Where each name lives, imported when first asked for (PEP 562): a process that needs a
# submodule only (a pytest session reads harness.verdict.records) does not import the
# engine with it.
_WHERE: dict[str, str] = {
    "judge": "harness.verdict.judge",
    "verdict_for_early_exit": "harness.verdict.judge",
    "FinalOutcome": "harness.verdict.model",
    "MetricVerdict": "harness.verdict.model",
    "Reason": "harness.verdict.model",
    "Severity": "harness.verdict.model",
    "SuiteStatus": "harness.verdict.model",
    "SuiteVerdict": "harness.verdict.model",
    "TestVerdict": "harness.verdict.model",
    "VerdictKind": "harness.verdict.model",
    "WaiverUse": "harness.verdict.model",
    "Verdict": "harness.verdict.run_verdict",
    "verdict_document": "harness.verdict.run_verdict",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


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
