"""The run history: one SQLite file (`reports/history.sqlite`) of every finished run.

Schema version 1 holds `runs` (one row per run), `outcomes` (the final outcome
and duration of every judged test) and `samples` (every sample of every
metric). Version 2 adds `runs.budgets` (the hash of the policy's budgets, so
runs judged under other budgets are not compared) and `runs.summary` (the
counts and the budgeted p95 a trend shows). `PRAGMA user_version` holds the
version; opening an older file migrates it in place.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.verdict.records import Baseline

DEFAULT_PATH = Path("reports") / "history.sqlite"
VERDICT_FILE = "verdict.json"  # a run's verdict document, in its output folder
VERSION = 2
BUSY_TIMEOUT_S = 30.0
DURATION_RUNS = 50  # how far back `durations` looks for a test's latest duration


def digest(value: Any) -> str:
    """Return a short stable hash of a JSON-able value (the identity's and the shards' hashes)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


SCHEMA_V1 = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    finished_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    target TEXT NOT NULL,
    profile TEXT NOT NULL,
    manifest TEXT NOT NULL,
    policy TEXT NOT NULL,
    harness_version TEXT NOT NULL
);
CREATE INDEX runs_identity ON runs (target, profile, manifest, finished_at);
CREATE TABLE outcomes (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    test_id TEXT NOT NULL,
    suite TEXT NOT NULL,
    outcome TEXT NOT NULL,
    duration_s REAL NOT NULL,
    PRIMARY KEY (run_id, test_id)
);
CREATE TABLE samples (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    metric TEXT NOT NULL,
    unit TEXT NOT NULL,
    seq INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, metric, seq)
);
"""

MIGRATIONS = {
    2: "ALTER TABLE runs ADD COLUMN budgets TEXT; ALTER TABLE runs ADD COLUMN summary TEXT;",
}


class HistoryError(HarnessError):
    """The history file cannot be opened, read or written (one line, naming the file)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """What makes two runs comparable: the same target, profile, planned tests and budgets."""

    target: str
    profile: str
    manifest: str
    policy: str
    budgets: str

    def to_json(self) -> dict[str, str]:
        """Return it as a JSON object."""
        return {
            "target": self.target,
            "profile": self.profile,
            "manifest": self.manifest,
            "policy": self.policy,
            "budgets": self.budgets,
        }


@dataclass(frozen=True, slots=True)
class RunEntry:
    """One finished run as the history stores it."""

    run_id: str
    finished_at: str
    verdict: str
    identity: Identity
    harness_version: str
    summary: Mapping[str, Any] = field(default_factory=dict)
    # (test id, suite, final outcome, duration in s) of every judged test
    outcomes: Sequence[tuple[str, str, str, float]] = ()
    # metric name -> (unit, samples)
    samples: Mapping[str, tuple[str, Sequence[float]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredRun:
    """A row of `runs`: a run's verdict and identity (budgets None for a schema-1 row)."""

    run_id: str
    finished_at: str
    verdict: str
    target: str
    profile: str
    manifest: str
    policy: str
    budgets: str | None
    harness_version: str
    summary: dict[str, Any]

    def identity(self) -> dict[str, str]:
        """Return what makes it comparable: target, profile, manifest and budgets."""
        return {
            "target": self.target,
            "profile": self.profile,
            "manifest": self.manifest,
            "budgets": self.budgets or "unknown (recorded by history schema 1)",
        }


def entry_of(document: Mapping[str, Any], identity: Identity) -> RunEntry:
    """Return the history entry of a verdict.json document."""
    outcomes = [
        (t["id"], s["name"], t["outcome"], float(t.get("duration_s") or 0.0))
        for s in document.get("suites", [])
        for t in s.get("tests", [])
    ]
    samples = {
        name: (str(m.get("unit", "")), [float(v) for v in m.get("samples", [])])
        for name, m in document.get("metrics", {}).items()
    }
    return RunEntry(
        run_id=str(document["run_id"]),
        finished_at=str(document["finished_at"]),
        verdict=str(document["verdict"]),
        identity=identity,
        harness_version=str(document.get("harness_version", "")),
        summary=trend_point(document),
        outcomes=outcomes,
        samples=samples,
    )


def trend_point(document: Mapping[str, Any]) -> dict[str, Any]:
    """Return what a trend shows of one run: verdict, counts, the budgeted metrics' p95."""
    p95 = {
        name: m.get("p95")
        for name, m in document.get("metrics", {}).items()
        if any(b.get("statistic") == "p95" for b in m.get("budgets", []))
    }
    return {
        "run_id": document.get("run_id"),
        "finished_at": document.get("finished_at"),
        "verdict": document.get("verdict"),
        **{k: document.get("summary", {}).get(k, 0) for k in ("planned", "passed", "failed")},
        "p95": p95,
        "values": {
            name: m["value"]
            for name, m in document.get("metrics", {}).items()
            if m.get("value") is not None
        },
    }


class History:
    """An open history file; every method is one statement or one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise self._error("cannot open", exc) from None

    def _error(self, what: str, exc: BaseException) -> HistoryError:
        text = " ".join(str(exc).split())
        return HistoryError(f"history {self.path}: {what}: {type(exc).__name__}: {text}")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        """Return the schema version of the file."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = self.version
            if version == 0:
                self._script(SCHEMA_V1)
                version = 1
            if version > VERSION:
                raise sqlite3.DatabaseError(
                    f"schema version {version} is newer than this harness's {VERSION}"
                )
            for number in range(version + 1, VERSION + 1):
                self._script(MIGRATIONS[number])
            self._db.execute(f"PRAGMA user_version = {VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _script(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def record(self, entry: RunEntry) -> None:
        """Store one run, its outcomes and its samples in one transaction."""
        ident = entry.identity
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO runs (run_id, finished_at, verdict, target, profile, manifest,"
                    " policy, harness_version, budgets, summary)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry.run_id,
                        entry.finished_at,
                        entry.verdict,
                        ident.target,
                        ident.profile,
                        ident.manifest,
                        ident.policy,
                        entry.harness_version,
                        ident.budgets,
                        json.dumps(dict(entry.summary), separators=(",", ":")),
                    ),
                )
                self._db.executemany(
                    "INSERT INTO outcomes VALUES (?, ?, ?, ?, ?)",
                    ((entry.run_id, *row) for row in entry.outcomes),
                )
                self._db.executemany(
                    "INSERT INTO samples VALUES (?, ?, ?, ?, ?)",
                    (
                        (entry.run_id, name, unit, seq, value)
                        for name, (unit, values) in entry.samples.items()
                        for seq, value in enumerate(values)
                    ),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._error(f"cannot record run {entry.run_id}", exc) from None

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise self._error("cannot read", exc) from None

    _RUN = (
        "SELECT run_id, finished_at, verdict, target, profile, manifest, policy, budgets,"
        " harness_version, summary FROM runs"
    )

    @staticmethod
    def _run(row: tuple[Any, ...]) -> StoredRun:
        summary = json.loads(row[9]) if row[9] else {}
        run_id, finished_at, verdict, target, profile, manifest, policy, budgets, version = row[:9]
        return StoredRun(
            run_id,
            finished_at,
            verdict,
            target,
            profile,
            manifest,
            policy,
            budgets,
            version,
            summary,
        )

    def run(self, run_id: str) -> StoredRun | None:
        """Return the run with this id, or None."""
        rows = self._rows(f"{self._RUN} WHERE run_id = ?", (run_id,))
        return self._run(rows[0]) if rows else None

    def runs(
        self,
        *,
        target: str | None = None,
        profile: str | None = None,
        manifest: str | None = None,
        verdict: str | None = None,
        limit: int = 20,
    ) -> list[StoredRun]:
        """Return the latest runs matching every given field, newest first."""
        where = {"target": target, "profile": profile, "manifest": manifest, "verdict": verdict}
        given = {k: v for k, v in where.items() if v is not None}
        clause = " AND ".join(f"{k} = ?" for k in given) or "1"
        sql = f"{self._RUN} WHERE {clause} ORDER BY finished_at DESC, run_id DESC LIMIT ?"
        return [self._run(row) for row in self._rows(sql, (*given.values(), limit))]

    def last_approved(self, target: str, profile: str, manifest: str) -> StoredRun | None:
        """Return the latest APPROVED run of this target, profile and suite manifest."""
        found = self.runs(
            target=target, profile=profile, manifest=manifest, verdict="APPROVED", limit=1
        )
        return found[0] if found else None

    def latest(self, target: str, profile: str) -> StoredRun | None:
        """Return the latest run of this target and profile, whatever its manifest."""
        found = self.runs(target=target, profile=profile, limit=1)
        return found[0] if found else None

    def baseline(self, run: StoredRun) -> Baseline:
        """Return the stored run as a baseline: outcomes, metric medians and samples."""
        outcomes = dict(
            self._rows("SELECT test_id, outcome FROM outcomes WHERE run_id = ?", (run.run_id,))
        )
        samples: dict[str, list[float]] = {}
        for name, value in self._rows(
            "SELECT metric, value FROM samples WHERE run_id = ? ORDER BY metric, seq",
            (run.run_id,),
        ):
            samples.setdefault(name, []).append(float(value))
        values = run.summary.get("values", {})
        metrics = {name: float(values.get(name, _median(v))) for name, v in samples.items()}
        return Baseline(
            source=f"history run {run.run_id}",
            outcomes=outcomes,
            metrics=metrics,
            samples={name: tuple(values) for name, values in samples.items()},
        )

    def failures(self, runs: Sequence[StoredRun]) -> dict[str, int]:
        """Return how many of ``runs`` each test failed in (tests that never failed left out)."""
        if not runs:
            return {}
        marks = ", ".join("?" for _ in runs)
        rows = self._rows(
            f"SELECT test_id, COUNT(*) FROM outcomes WHERE run_id IN ({marks})"
            " AND outcome = 'failed' GROUP BY test_id ORDER BY test_id",
            [r.run_id for r in runs],
        )
        return {test_id: int(count) for test_id, count in rows}

    def durations(self, test_ids: Iterable[str]) -> dict[str, float]:
        """Return the latest recorded duration of each test id in the last DURATION_RUNS runs."""
        wanted, found = set(test_ids), dict[str, float]()
        latest = self._rows(
            "SELECT run_id FROM runs ORDER BY finished_at DESC, run_id DESC LIMIT ?",
            (DURATION_RUNS,),
        )
        # Newest run first, one primary-key range each, until every wanted id has one: with
        # 1,000 runs of 1,400 tests a scan of every outcome took 2.7 s, this one run's ~5 ms.
        for (run_id,) in latest:
            if len(found) == len(wanted):
                break
            for test_id, duration in self._rows(
                "SELECT test_id, duration_s FROM outcomes WHERE run_id = ?", (run_id,)
            ):
                if test_id in wanted and test_id not in found:
                    found[test_id] = float(duration)
        return found


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
