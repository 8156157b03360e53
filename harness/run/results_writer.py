"""Writing `results.jsonl` from the pytest controller: the plan of each phase and every
finished attempt, appended at once (harness/run/results.py says what each line holds and
reads it back)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pytest

from harness.run.results import RESULTS_FILE, test_id
from harness.run.suite import discover_suites
from harness.verdict.records import Outcome
from harness.wire.redaction import Redactor


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
                "scenario": None,
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
            state["scenario"] = props.get("harness_scenario")
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
                scenario=state["scenario"],
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
        scenario: dict[str, Any] | None = None,
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
            described: dict[str, Any] = {"key": deviation[0], "title": deviation[1]}
            if len(deviation) > 2 and deviation[2]:
                described["rules"] = [str(rule) for rule in deviation[2]]
            line["deviation"] = described
        if isinstance(scenario, dict):
            line["scenario"] = scenario  # a scenario's k of n and its failing turns
        self._write(line)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._write({"kind": "session", "phase": self._phase, "exitstatus": int(exitstatus)})
        self._file.close()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:4000] if lines else ""


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return _last_line(report.longreprtext)
