"""The sinks of the publish pipeline (harness/run/publish.py), each a small class."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.history.run_history import RunHistory
from harness.history.store import VERDICT_FILE
from harness.report.console import print_summary
from harness.report.render import append_step_summary, write_reports
from harness.run.publish import Document, Files, Sink

NOTHING: Files = {}


@dataclass(frozen=True, slots=True)
class VerdictFile:
    """Writes verdict.json into the output folder."""

    out: Path

    def publish(self, document: Document, written: Files) -> Files:
        """Write the document; return {"verdict": its path}."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / VERDICT_FILE
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
        return {"verdict": path}


@dataclass(frozen=True, slots=True)
class Reports:
    """Writes report.md, report.html and junit.xml into the output folder."""

    out: Path

    def publish(self, document: Document, written: Files) -> Files:
        """Render and write the reports; return their paths by format."""
        return write_reports(document, self.out)


@dataclass(frozen=True, slots=True)
class HistorySink:
    """Records the finished run in the history (not a shard's), then closes it."""

    history: RunHistory

    def publish(self, document: Document, written: Files) -> Files:
        """Keep the run; a failure is one stderr line, never the run's end."""
        self.history.keep(document)
        self.history.close()
        return NOTHING


@dataclass(frozen=True, slots=True)
class StepSummary:
    """Appends the step summary to $GITHUB_STEP_SUMMARY when it is set (CI)."""

    def publish(self, document: Document, written: Files) -> Files:
        """Append the summary; the step summary file is not the run's, so none is returned."""
        append_step_summary(document)
        return NOTHING


@dataclass(frozen=True, slots=True)
class ConsoleSummary:
    """Prints the results table and verdict panel (the verdict line alone when quiet)."""

    console: Console
    quiet: bool

    def publish(self, document: Document, written: Files) -> Files:
        """Print the summary naming the files written before."""
        print_summary(self.console, document, written, quiet=self.quiet)
        return NOTHING


@dataclass(frozen=True, slots=True)
class Block:
    """An annotator: puts one block (e.g. `shard`, `shards`) into the document."""

    key: str
    value: Mapping[str, Any]

    def annotate(self, document: dict[str, Any]) -> None:
        """Set document[key]."""
        document[self.key] = dict(self.value)


def standard_sinks(out: Path, history: RunHistory, console: Console, *, quiet: bool) -> list[Sink]:
    """The sinks of every run, in order: verdict.json, the reports, the history, the CI step
    summary, the console."""
    return [
        VerdictFile(out),
        Reports(out),
        HistorySink(history),
        StepSummary(),
        ConsoleSummary(console, quiet),
    ]
