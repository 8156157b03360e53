"""Console views of a run: live progress while tests finish, results and verdict afterwards.

Every view after the run is built from the verdict.json dict alone, like the reports.
Text from the target (test ids, messages) goes into `rich.text.Text` so that it is never
read as console markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from harness.report.trend import unstable

Verdict = Mapping[str, Any]

VERDICT_STYLES = {
    "APPROVED": "bold green",
    "APPROVED_WITH_CONDITIONS": "bold yellow",
    "NOT_APPROVED": "bold red",
    "INCOMPLETE": "bold magenta",
}
STATUS_STYLES = {
    "PASS": "green",
    "PASS_WITH_CONDITIONS": "yellow",
    "FAIL": "red",
    "INCOMPLETE": "magenta",
    "NOT_RUN": "magenta",
}
OUTCOME_STYLES = {
    "passed": "green",
    "failed": "red",
    "error": "magenta",
    "skipped": "yellow",
    "not_run": "yellow",
}
SEVERITY_STYLES = {
    "blocker": "red",
    "incomplete": "magenta",
    "condition": "yellow",
    "info": "dim",
}


class ProgressView:
    """Shows tests as they finish: a live bar per suite on a terminal, one plain line otherwise."""

    def __init__(self, console: Console, plan: list[tuple[str, int]]) -> None:
        self.console = console
        self.plan = list(plan)
        self.total = sum(count for _, count in self.plan)
        # Final outcome so far per test id; a rerun replaces its earlier attempt's outcome.
        self.outcomes: dict[str, dict[str, str]] = {name: {} for name, _ in self.plan}
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    @property
    def finished(self) -> int:
        """How many distinct tests have finished at least one attempt."""
        return sum(len(tests) for tests in self.outcomes.values())

    def failures(self, suite: str) -> int:
        """How many tests of `suite` failed or errored in their latest attempt."""
        return sum(1 for o in self.outcomes.get(suite, {}).values() if o in ("failed", "error"))

    def __enter__(self) -> ProgressView:
        if self.console.is_terminal:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failures]}"),
                console=self.console,
            )
            for name, count in self.plan:
                self._tasks[name] = self._progress.add_task(name, total=count, failures="")
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def advance(self, suite: str, test_id: str, outcome: str, duration_s: float) -> None:
        """Records and shows one finished attempt of a test (a rerun replaces the earlier one)."""
        tests = self.outcomes.setdefault(suite, {})
        rerun = test_id in tests
        tests[test_id] = outcome
        if self._progress is not None:
            if suite not in self._tasks:
                self._tasks[suite] = self._progress.add_task(suite, total=None, failures="")
            failures = self.failures(suite)
            self._progress.update(
                self._tasks[suite],
                completed=len(tests),
                failures=f"[red]{failures} failed[/red]" if failures else "",
            )
            return
        line = Text()
        line.append(f"[{self.finished}/{self.total}] ")
        line.append(f"{outcome.upper():7}", style=OUTCOME_STYLES.get(outcome, ""))
        line.append(f" {test_id} ({duration_s:.2f} s){' rerun' if rerun else ''}")
        self.console.print(line, highlight=False, soft_wrap=True)


def _status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def results_table(verdict: Verdict) -> RenderableType:
    """A table of every suite: status and counts against the planned tests."""
    table = Table(title="Verification results", title_justify="left")
    table.add_column("Suite")
    table.add_column("Criticality")
    table.add_column("Status")
    for heading in ("Passed", "Failed", "Errors", "Skipped", "Not run", "Flaky", "Waived"):
        table.add_column(heading, justify="right")
    for suite in verdict["suites"]:
        table.add_row(
            Text(str(suite["name"])),
            Text(str(suite["criticality"])),
            _status_text(str(suite["status"])),
            f"{suite['passed']}/{suite['planned']}",
            str(suite["failed"]),
            str(suite["errors"]),
            str(suite["skipped"]),
            str(suite.get("not_run", 0)),
            str(suite.get("flaky", 0)),
            str(suite.get("waived", 0)),
        )
    return table


def verdict_panel(verdict: Verdict, report_paths: Mapping[str, Path]) -> RenderableType:
    """A panel with the verdict, its reason lines and where the reports were written."""
    name = str(verdict["verdict"])
    parts: list[RenderableType] = [
        Text.assemble((name, VERDICT_STYLES.get(name, "bold")), f" (exit {verdict['exit_code']})")
    ]
    parts += cause_lines(verdict)
    reasons = verdict["reasons"]
    if reasons:
        for reason in reasons:
            severity = str(reason.get("severity", "info"))
            line = Text("• ")
            line.append(severity, style=SEVERITY_STYLES.get(severity, ""))
            line.append(f" {reason['rule']}")
            if reason.get("suite"):
                line.append(f" [{reason['suite']}]")
            line.append(f": {reason['message']}")
            tests = reason.get("tests") or []
            if tests:
                line.append(f" ({len(tests)} test{'s' if len(tests) != 1 else ''})", style="dim")
            parts.append(line)
    else:
        parts.append(Text("No reason lines: nothing to fix or track."))
    parts += rule_status_lines(verdict)
    parts += unstable_lines(verdict)
    for fmt, path in report_paths.items():
        parts.append(Text(f"{fmt}: {path}", style="dim"))
    return Panel(Group(*parts), title="Verdict", border_style=VERDICT_STYLES.get(name, ""))


def cause_lines(verdict: Verdict, shown: int = 5) -> list[Text]:
    """The causes of the failures, most tests first: each once, with its count and the test
    that met it first (verdict.json `causes`; the reports show their frames and tests)."""
    causes = verdict.get("causes") or []
    lines = []
    for cause in causes[:shown]:
        count = int(cause.get("count", 0))
        line = Text("• ")
        line.append("cause", style="bold red")
        line.append(f" {cause.get('title', cause.get('key', ''))}: ")
        line.append(f"{count} test{'s' if count != 1 else ''}", style="bold")
        line.append(f" (first: {cause.get('first_test', '')})", style="dim")
        lines.append(line)
    if len(causes) > shown:
        lines.append(Text(f"  ... and {len(causes) - shown} more causes (report.md)", style="dim"))
    return lines


def rule_status_lines(verdict: Verdict) -> list[Text]:
    """The rule counts and the tests left out of the plan, each with its reason and count."""
    if "rules" not in verdict:
        return []
    counts = verdict.get("rule_summary") or {}
    lines = [
        Text(
            f"Rules: {counts.get('total', 0)} in the catalogue: "
            f"{counts.get('violated', 0)} violated, {counts.get('not_verified', 0)} not verified, "
            f"{counts.get('not_applicable', 0)} not applicable, "
            f"{counts.get('verified', 0)} verified"
        )
    ]
    left_out = verdict.get("not_applicable") or []
    reasons: dict[str, int] = {}
    for entry in left_out:
        reasons[str(entry["reason"])] = reasons.get(str(entry["reason"]), 0) + 1
    line = Text(f"Not applicable: {len(left_out)} test{'s' * (len(left_out) != 1)}")
    line.append("".join(f"; {reason}: {count}" for reason, count in reasons.items()))
    lines.append(line)
    return lines


def unstable_lines(verdict: Verdict) -> list[Text]:
    """The tests that failed in any of the last N comparable runs, each with its count."""
    found = unstable(verdict)
    if found is None:
        return []
    runs, tests = found["runs"], found["tests"]
    if not tests:
        return [Text(f"Unstable tests (history): none failed in the last {runs} runs")]
    lines = [Text(f"Unstable tests (history): {len(tests)} failed in the last {runs} runs")]
    lines += [Text(f"  {test_id}: {count} of {runs}") for test_id, count in tests]
    return lines


def verdict_line(verdict: Verdict, report_paths: Mapping[str, Path]) -> str:
    """One line: verdict, exit code, reason count and the Markdown report's path."""
    count = len(verdict["reasons"])
    line = f"{verdict['verdict']} (exit {verdict['exit_code']}): {count} reason{'s' * (count != 1)}"
    report = report_paths.get("md") or next(iter(report_paths.values()), None)
    return f"{line}; report: {report}" if report is not None else line


def print_summary(
    console: Console, verdict: Verdict, report_paths: Mapping[str, Path], *, quiet: bool
) -> None:
    """Prints the results table and verdict panel, or only the verdict line when quiet."""
    if quiet:
        console.print(Text(verdict_line(verdict, report_paths)), highlight=False, soft_wrap=True)
        return
    console.print(results_table(verdict))
    console.print(verdict_panel(verdict, report_paths))
