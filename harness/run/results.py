"""`results.jsonl`: every planned test and every finished attempt, appended at once.

Written on the pytest controller only (xdist workers ship their reports to
it); read back by the runner into records. One JSON object per line:

    {"kind": "plan", "phase": 1, "suite": S, "tests": [ids]}
    {"kind": "attempt", "phase": 1, "suite": S, "id": ID,
     "outcome": "passed"|"failed"|"error"|"skipped", "final": true, "duration_s": 0.1,
     "message": "...", "transcript": [...]|null, "metrics": [[name, value, unit], ...],
     "evidence": [{"rule", "sent", "expected", "observed"}, ...],
     "limit_skip": [limit, value],  (only on a skip that left a target's limit unverified)
     "cause_key": KEY,  (only on a failure from a cause an earlier test met first)
     "deviation": {"key": KEY, "title": "..."}}  (only on a failure that says how it failed)
    {"kind": "run_error", "cause": "worker_crash"|"collection", "message": "...",
     "suite": S|null, "tests": [ids]}
    {"kind": "cause", "key": "reply:ping", "test": ID, "message": "..."}
    {"kind": "session", "phase": 1, "exitstatus": 0}

A `cause` line (once per key) says a wait timed out for the first time in the
run: `key` names what was awaited (harness/wire/causes.py), `test` the test
that saw it first, `message` what was missing. Later tests that waited for the
same key failed within a short deadline: their attempts carry the key as
`cause_key` (and their messages name that test, for the reader).

An attempt's `deviation` says how a check failed in terms that do not depend on
the test (harness.errors.Deviation: the same missed wait, the same unexpected
first frame, ...): the verdict groups the run's failures into causes by its key.

An attempt's outcome: `failed` when the target misbehaved (a CheckFailed or
AssertionError, also at teardown, e.g. a close 1011 seen after the test's last
check), `error` when the harness could not judge (a HarnessError, a timeout of
the test itself, a failure in setup).

A line cut short by a crash is ignored by the reader; everything before it counts.

Beside it, each phase's plan file (`plan-phase1.json`, ...) maps every collected
test to the rules it verifies and lists the tests left out for a missing input.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from harness.errors import Deviation
from harness.run.suite import InstalledSuite, discover_suites, suite_of_path
from harness.verdict.records import Attempt, MetricRecord, Outcome, RunError
from harness.wire.redaction import Redactor

RESULTS_FILE = "results.jsonl"
PLAN_FILE = "plan-phase{phase}.json"


def test_id(nodeid: str, rootpath: Path, suites: list[InstalledSuite]) -> tuple[str, str] | None:
    """(suite name, stable test id `suite::module::name`) of a pytest node id, or None."""
    file_part, _, rest = nodeid.partition("::")
    # With --pyargs pytest makes node ids relative to each package, not to rootdir.
    candidates = [rootpath / file_part, *(s.path / file_part for s in suites if s.path)]
    for candidate in candidates:
        path = candidate.resolve()
        suite = suite_of_path(path, suites)
        if suite is not None and suite.path is not None and path.exists():
            break
    else:
        return None
    module = ".".join(path.relative_to(suite.path).with_suffix("").parts)
    return suite.name, f"{suite.name}::{module}::{rest}" if rest else f"{suite.name}::{module}"


class PlanFile:
    """A phase's plan file: `{"phase", "tests": {id: {suite, rules}}, "not_applicable": ...}`."""

    @staticmethod
    def write(
        out_dir: Path,
        phase: int,
        tests: Sequence[tuple[str, Sequence[str]]],
        left_out: Sequence[tuple[str, Sequence[str], str]],
        rootpath: Path,
        suites: list[InstalledSuite],
    ) -> None:
        """Write it atomically (every xdist worker writes the same content)."""
        planned: dict[str, Any] = {}
        for nodeid, rules in tests:
            ident = test_id(nodeid, rootpath, suites)
            if ident is not None:
                planned[ident[1]] = {"suite": ident[0], "rules": list(rules)}
        skipped: dict[str, Any] = {}
        for nodeid, rules, reason in left_out:
            ident = test_id(nodeid, rootpath, suites)
            if ident is not None:
                skipped[ident[1]] = {"suite": ident[0], "rules": list(rules), "reason": reason}
        document = {"phase": phase, "tests": planned, "not_applicable": skipped}
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / PLAN_FILE.format(phase=phase)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        os.replace(temp, path)

    @staticmethod
    def read_into(log: ResultsLog, out_dir: Path) -> None:
        """Merge every phase's plan file into `log`; an unreadable one is a run error."""
        for path in sorted(out_dir.glob(PLAN_FILE.format(phase="*"))):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
                tests = document["tests"]
                left_out = document["not_applicable"]
                for ident, entry in tests.items():
                    log.test_rules[ident] = tuple(entry["rules"])
                for ident, entry in left_out.items():
                    log.test_rules[ident] = tuple(entry["rules"])
                    log.not_applicable[ident] = (entry["suite"], entry["reason"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                log.run_errors.append(
                    RunError("internal", f"cannot read {path.name}: {type(exc).__name__}: {exc}")
                )


class ResultsWriter:
    """A pytest plugin object that appends plan and attempt lines as they happen."""

    def __init__(self, out_dir: Path, phase: int) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / RESULTS_FILE
        self._file: IO[str] = self.path.open("a", encoding="utf-8")
        self._phase = phase
        self._suites = [s for s in discover_suites() if s.path is not None]
        self._rootpath = Path.cwd()
        self._planned = False
        self._pending: dict[str, dict[str, Any]] = {}
        self._causes: set[str] = set()
        # Frames and messages may quote the secret or a token (a leaking target): never written.
        self._redactor = Redactor.from_environment()

    def _write(self, line: dict[str, Any]) -> None:
        line = self._redactor.data(line)
        self._file.write(json.dumps(line, separators=(",", ":")) + "\n")
        self._file.flush()

    def _ident(self, nodeid: str) -> tuple[str, str] | None:
        return test_id(nodeid, self._rootpath, self._suites)

    @pytest.hookimpl
    def pytest_configure(self, config: pytest.Config) -> None:
        self._rootpath = config.rootpath

    def _write_plan(self, nodeids: Iterable[str]) -> None:
        if self._planned:
            return
        self._planned = True
        plan: dict[str, list[str]] = {}
        for nodeid in nodeids:
            ident = self._ident(nodeid)
            if ident is not None:
                plan.setdefault(ident[0], []).append(ident[1])
        for suite, ids in sorted(plan.items()):
            self._write({"kind": "plan", "phase": self._phase, "suite": suite, "tests": ids})

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items:
            self._write_plan(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._write_plan(ids)

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.failed:
            return
        ident = self._ident(report.nodeid) if report.nodeid else None
        self._write(
            {
                "kind": "run_error",
                "cause": "collection",
                "message": f"cannot collect {report.nodeid or 'tests'}: "
                + _last_line(report.longreprtext),
                "suite": ident[0] if ident else None,
                "tests": [],
            }
        )

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        ident = self._ident(report.nodeid)
        if ident is None:
            return
        props = dict(
            (k, v)
            for k, v in report.user_properties
            if k not in ("harness_metric", "harness_evidence", "harness_cause")
        )
        self._write_causes(v for k, v in report.user_properties if k == "harness_cause")
        if report.when not in ("setup", "call", "teardown"):  # xdist: the worker crashed
            message = str(report.longrepr)
            self._pending.pop(report.nodeid, None)
            self._attempt(ident, Outcome.ERROR, 0.0, message, None, [], final=True)
            self._write(
                {
                    "kind": "run_error",
                    "cause": "worker_crash",
                    "message": message,
                    "suite": ident[0],
                    "tests": [ident[1]],
                }
            )
            return
        state = self._pending.setdefault(
            report.nodeid,
            {
                "outcome": None,
                "duration": 0.0,
                "message": "",
                "transcript": None,
                "metrics": [],
                "evidence": [],
                "limit_skip": None,
                "cause_key": None,
                "deviation": None,
                "rerun": False,
            },
        )
        state["duration"] += report.duration
        message = str(props.get("harness_message") or _last_line(report.longreprtext))
        outcome: str = report.outcome  # pytest-rerunfailures adds "rerun" to pytest's three
        failed = report.failed or outcome == "rerun"
        if failed and props.get("harness_transcript"):
            state["transcript"] = props["harness_transcript"]
        if outcome == "rerun":
            state["rerun"] = True
        if report.when == "setup":
            if failed:
                state["outcome"], state["message"] = Outcome.ERROR, f"setup: {message}"
                state["cause_key"] = props.get("harness_cause_key")
                state["deviation"] = props.get("harness_deviation")
            elif report.skipped:
                state["outcome"], state["message"] = Outcome.SKIPPED, _skip_reason(report)
                state["limit_skip"] = props.get("harness_limit_skip")
        elif report.when == "call":
            state["metrics"] = [v for k, v in report.user_properties if k == "harness_metric"]
            state["evidence"] = [v for k, v in report.user_properties if k == "harness_evidence"]
            if report.passed:
                state["outcome"] = Outcome.PASSED
            elif report.skipped:
                state["outcome"], state["message"] = Outcome.SKIPPED, _skip_reason(report)
                state["limit_skip"] = props.get("harness_limit_skip")
            elif failed:
                state["outcome"] = Outcome.ERROR if props.get("harness_error") else Outcome.FAILED
                state["message"] = message
                state["cause_key"] = props.get("harness_cause_key")
                state["deviation"] = props.get("harness_deviation")
        else:
            if failed:
                # A check that failed at teardown (a 1011 after the last check) is the
                # target's failure; it also outweighs an error of the harness before it.
                target_failure = bool(props.get("harness_check"))
                if state["outcome"] in (None, Outcome.PASSED):
                    state["outcome"] = Outcome.FAILED if target_failure else Outcome.ERROR
                    state["message"] = f"teardown: {message}"
                    state["cause_key"] = props.get("harness_cause_key")
                    state["deviation"] = props.get("harness_deviation")
                elif state["outcome"] is Outcome.ERROR and target_failure:
                    state["outcome"] = Outcome.FAILED
                    state["message"] = f"teardown: {message} (after: {state['message']})"
                    state["cause_key"] = props.get("harness_cause_key") or state["cause_key"]
                    state["deviation"] = props.get("harness_deviation") or state["deviation"]
            del self._pending[report.nodeid]
            self._attempt(
                ident,
                state["outcome"] or Outcome.ERROR,
                state["duration"],
                state["message"],
                state["transcript"],
                state["metrics"],
                final=not state["rerun"],
                evidence=state["evidence"],
                limit_skip=state["limit_skip"],
                cause_key=state["cause_key"],
                deviation=state["deviation"],
            )

    def _write_causes(self, causes: Iterable[Any]) -> None:
        for cause in causes:
            if isinstance(cause, dict) and cause.get("key") not in self._causes:
                self._causes.add(str(cause.get("key")))
                self._write(
                    {
                        "kind": "cause",
                        "key": str(cause.get("key")),
                        "test": str(cause.get("test")),
                        "message": str(cause.get("message")),
                    }
                )

    def _attempt(
        self,
        ident: tuple[str, str],
        outcome: Outcome,
        duration: float,
        message: str,
        transcript: list[dict[str, Any]] | None,
        metrics: list[Any],
        *,
        final: bool,
        evidence: list[Any] | None = None,
        limit_skip: list[Any] | None = None,
        cause_key: str | None = None,
        deviation: list[str] | None = None,
    ) -> None:
        line = {
            "kind": "attempt",
            "phase": self._phase,
            "suite": ident[0],
            "id": ident[1],
            "outcome": outcome.value,
            "final": final,
            "duration_s": round(duration, 6),
            "message": message,
            "transcript": transcript,
            "metrics": metrics,
            "evidence": evidence or [],
        }
        if limit_skip:
            line["limit_skip"] = limit_skip  # [limit, the target's value]
        if cause_key:
            line["cause_key"] = cause_key
        if deviation:
            line["deviation"] = {"key": deviation[0], "title": deviation[1]}
        self._write(line)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._write({"kind": "session", "phase": self._phase, "exitstatus": int(exitstatus)})
        self._file.close()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:4000] if lines else ""


def _limit_skip(value: Any) -> tuple[str, int] | None:
    """An attempt's `limit_skip` ([limit, value], or absent) as the verdict reads it."""
    if not value:
        return None
    limit, target_value = value
    return str(limit), int(target_value)


def _deviation(value: Any) -> Deviation | None:
    """An attempt's `deviation` ({"key", "title"}, or absent) as the verdict reads it."""
    if not isinstance(value, dict) or not value.get("key"):
        return None
    return Deviation(str(value["key"]), str(value.get("title", "")))


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return _last_line(report.longreprtext)


@dataclass
class ResultsLog:
    """What results.jsonl says, merged over phases."""

    planned: dict[str, list[str]] = field(default_factory=dict)
    attempts: dict[str, list[Attempt]] = field(default_factory=dict)
    suite_of: dict[str, str] = field(default_factory=dict)
    samples: dict[tuple[str, str, str], list[tuple[float, str]]] = field(default_factory=dict)
    run_errors: list[RunError] = field(default_factory=list)
    sessions: dict[int, int] = field(default_factory=dict)  # phase -> pytest exit status
    # From the plan files: the rules each test names, and the tests left out (suite, reason).
    test_rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_applicable: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Waits that timed out, once per key, in the order seen: {"key", "test", "message"}.
    causes: list[dict[str, str]] = field(default_factory=list)

    def metrics(self) -> tuple[MetricRecord, ...]:
        """Every metric with all its samples, in a stable order."""
        out = []
        for (name, unit, suite), values in sorted(self.samples.items()):
            tests = tuple(dict.fromkeys(t for _, t in values))
            out.append(MetricRecord(name, unit, suite, tuple(v for v, _ in values), tests))
        return tuple(out)


def read_results(path: Path) -> ResultsLog:
    """Parse results.jsonl and the plan files beside it; a torn last line is ignored."""
    log = ResultsLog()
    PlanFile.read_into(log, path.parent)
    if not path.exists():
        return log
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        kind = line.get("kind")
        if kind == "plan":
            tests = log.planned.setdefault(line["suite"], [])
            tests.extend(t for t in line["tests"] if t not in tests)
            for t in line["tests"]:
                log.suite_of[t] = line["suite"]
        elif kind == "attempt":
            log.suite_of.setdefault(line["id"], line["suite"])
            log.attempts.setdefault(line["id"], []).append(
                Attempt(
                    outcome=Outcome(line["outcome"]),
                    duration_s=float(line["duration_s"]),
                    message=line.get("message") or "",
                    transcript=tuple(line.get("transcript") or ()),
                    evidence=tuple(line.get("evidence") or ()),
                    limit_skip=_limit_skip(line.get("limit_skip")),
                    cause_key=line.get("cause_key") or None,
                    deviation=_deviation(line.get("deviation")),
                )
            )
            for name, value, unit in line.get("metrics") or ():
                log.samples.setdefault((name, unit, line["suite"]), []).append(
                    (float(value), line["id"])
                )
        elif kind == "run_error":
            log.run_errors.append(
                RunError(
                    line["cause"],
                    line["message"],
                    line.get("suite"),
                    tuple(line.get("tests") or ()),
                )
            )
        elif kind == "session":
            log.sessions[int(line["phase"])] = int(line["exitstatus"])
        elif kind == "cause":
            cause = {k: str(line.get(k, "")) for k in ("key", "test", "message")}
            if all(c["key"] != cause["key"] for c in log.causes):
                log.causes.append(cause)
    return log
