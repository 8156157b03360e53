"""The one way a run ends: judge its record once, then hand the verdict document to sinks.

`run`, `report --from` (harness/run/recovery.py) and `merge` (harness/run/merge.py)
all end in `publish`. Before any sink sees the document, the annotators add what is
not the judge's (the shard block, the history's identity, trend and unstable tests)
and the redactor hides every secret and token, once: no sink redacts, none can leak.
The sinks (harness/run/sinks.py) then take it in order: verdict.json, the reports,
the history, the CI step summary, the console.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from harness.verdict import judge, verdict_for_early_exit
from harness.verdict.policy import Policy
from harness.verdict.records import RunError, RunRecord
from harness.wire.redaction import Redactor

Document = Mapping[str, Any]  # a verdict.json document, judged and redacted
Files = Mapping[str, Path]  # files written by the sinks, by name ("verdict", "md", ...)


class Annotator(Protocol):
    """Adds to the judged document what the judge does not know, before redaction."""

    def annotate(self, document: dict[str, Any]) -> None:
        """Add this annotator's keys to `document`."""


class Sink(Protocol):
    """Where a judged, redacted verdict document goes (a file, the console, the history)."""

    def publish(self, document: Document, written: Files) -> Files:
        """Take the document (`written`: the files the earlier sinks wrote, by name);
        return the files this sink wrote, by name (none: empty)."""


def publish(
    record: RunRecord,
    policy: Policy,
    *,
    today: dt.date,
    redactor: Redactor,
    sinks: Sequence[Sink],
    annotators: Sequence[Annotator] = (),
    early: RunError | None = None,
) -> int:
    """Judge `record` once (as ended early by `early` when given), annotate, redact, and
    hand the document to every sink in order, once each; return the verdict's exit code."""
    if early is not None:
        verdict = verdict_for_early_exit(record, early, policy, today=today)
    else:
        verdict = judge(record, policy, today=today)
    document = verdict.to_json()
    for annotator in annotators:
        annotator.annotate(document)
    redacted: dict[str, Any] = redactor.data(document)
    written: dict[str, Path] = {}
    for sink in sinks:
        written.update(sink.publish(redacted, written))
    return int(redacted["exit_code"])
