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
     "deviation": {"key": KEY, "title": "...", "rules": [...]}}  (only on a failure that
     says how it failed; `rules` only when the check names the rules it broke)
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import Deviation
from harness.run.suite import InstalledSuite, suite_of_path
from harness.verdict.records import Attempt, MetricRecord, NotApplicable, Outcome, RunError

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
    """A phase's plan file: `{"phase", "tests": {id: {suite, rules, rules_left_out}},
    "not_applicable": {id: {suite, rules, reason}}}`; a planned test's `rules_left_out`
    maps each of its rules whose check the target's profile leaves out to the reason."""

    @staticmethod
    def write(
        out_dir: Path,
        phase: int,
        tests: Sequence[tuple[str, Sequence[str], Mapping[str, str]]],
        left_out: Sequence[tuple[str, Sequence[str], str]],
        rootpath: Path,
        suites: list[InstalledSuite],
        serial: int | None = None,
    ) -> None:
        """Write it atomically (every xdist worker writes the same content); `serial`: how
        many of the tests are the serial performance phase's (phase 2), when known."""
        planned: dict[str, Any] = {}
        for nodeid, rules, dropped in tests:
            ident = test_id(nodeid, rootpath, suites)
            if ident is not None:
                planned[ident[1]] = {"suite": ident[0], "rules": list(rules)}
                if dropped:
                    planned[ident[1]]["rules_left_out"] = dict(dropped)
        skipped: dict[str, Any] = {}
        for nodeid, rules, reason in left_out:
            ident = test_id(nodeid, rootpath, suites)
            if ident is not None:
                skipped[ident[1]] = {"suite": ident[0], "rules": list(rules), "reason": reason}
        document: dict[str, Any] = {"phase": phase, "tests": planned, "not_applicable": skipped}
        if serial is not None:
            document["serial"] = serial
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / PLAN_FILE.format(phase=phase)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        os.replace(temp, path)

    @staticmethod
    def serial_tests(out_dir: Path) -> int | None:
        """How many tests phase 1's plan counted for the serial phase (None: not known)."""
        try:
            document = json.loads((out_dir / PLAN_FILE.format(phase=1)).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        serial = document.get("serial") if isinstance(document, dict) else None
        return serial if isinstance(serial, int) and not isinstance(serial, bool) else None

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
                    dropped = entry.get("rules_left_out")
                    if dropped:
                        log.rules_left_out[ident] = (
                            entry["suite"],
                            {str(rule): str(reason) for rule, reason in dropped.items()},
                        )
                for ident, entry in left_out.items():
                    log.test_rules[ident] = tuple(entry["rules"])
                    log.not_applicable[ident] = (entry["suite"], entry["reason"])
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                log.run_errors.append(
                    RunError("internal", f"cannot read {path.name}: {type(exc).__name__}: {exc}")
                )


def _limit_skip(value: Any) -> tuple[str, int] | None:
    """An attempt's `limit_skip` ([limit, value], or absent) as the verdict reads it."""
    if not value:
        return None
    limit, target_value = value
    return str(limit), int(target_value)


def _deviation(value: Any) -> Deviation | None:
    """An attempt's `deviation` ({"key", "title", ["rules"]}, or absent) as the verdict
    reads it."""
    if not isinstance(value, dict) or not value.get("key"):
        return None
    rules = value.get("rules")
    named = tuple(str(r) for r in rules) if isinstance(rules, list) else ()
    return Deviation(str(value["key"]), str(value.get("title", "")), named)


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
    # Planned tests some of whose rules the profile leaves out: (suite, {rule: reason}).
    rules_left_out: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    # Waits that timed out, once per key, in the order seen: {"key", "test", "message"}.
    causes: list[dict[str, str]] = field(default_factory=list)

    def rules_left_out_of(self, suites: set[str]) -> tuple[NotApplicable, ...]:
        """The planned tests of `suites` whose checks of some rules the profile leaves out,
        one entry per test and reason, in test order."""
        out = []
        for ident, (suite, dropped) in sorted(self.rules_left_out.items()):
            if suite not in suites:
                continue
            by_reason: dict[str, list[str]] = {}
            for rule, reason in dropped.items():
                by_reason.setdefault(reason, []).append(rule)
            out += [NotApplicable(ident, suite, r, tuple(rules)) for r, rules in by_reason.items()]
        return tuple(out)

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
                    scenario=line["scenario"] if isinstance(line.get("scenario"), dict) else None,
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
