"""The history file: schema migration, one transaction per run, concurrent writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.history.store import SCHEMA_V1, History, HistoryError, Identity, RunEntry
from harness.verdict.baseline import refusal

IDENT = Identity("embedded", "chat-agent/1", "m1", "p1", "b1")


def entry(
    run_id: str, verdict: str = "APPROVED", finished: str = "2026-01-01T00:00:00Z"
) -> RunEntry:
    return RunEntry(
        run_id,
        finished,
        verdict,
        IDENT,
        "0.1.0",
        {"planned": 2, "passed": 2, "failed": 0},
        [("s::a", "s", "passed", 0.5), ("s::b", "s", "failed", 1.5)],
        {"lat_ms": ("ms", [3.0, 1.0, 2.0])},
    )


def test_a_new_file_is_version_2_in_wal_mode(tmp_path: Path) -> None:
    """user_version 2, journal_mode wal, and a run reads back with its outcomes and samples."""
    path = tmp_path / "h.sqlite"
    with History(path) as history:
        history.record(entry("r1"))
        assert history.version == 2
        (stored,) = history.runs()
        baseline = history.baseline(stored)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert (stored.run_id, stored.verdict, stored.budgets) == ("r1", "APPROVED", "b1")
    assert baseline.outcomes == {"s::a": "passed", "s::b": "failed"}
    assert baseline.samples == {"lat_ms": (3.0, 1.0, 2.0)}
    assert baseline.metrics == {"lat_ms": 2.0}


def test_a_version_1_file_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    """A schema-1 file with one run: after opening, version 2, the old run has no budgets."""
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_V1)
    db.execute(
        "INSERT INTO runs VALUES ('old', '2025-01-01T00:00:00Z', 'APPROVED', 'embedded',"
        " 'chat-agent/1', 'm1', 'p1', '0.0.9')"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with History(path) as history:
        assert history.version == 2
        history.record(entry("new", finished="2026-01-01T00:00:00Z"))
        assert [(r.run_id, r.budgets) for r in history.runs()] == [("new", "b1"), ("old", None)]
        assert history.last_approved("embedded", "chat-agent/1", "m1").run_id == "new"


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    """The same run id twice: the second write fails whole, no extra outcome rows."""
    with History(tmp_path / "h.sqlite") as history:
        history.record(entry("r1"))
        with pytest.raises(HistoryError, match="cannot record run r1"):
            history.record(entry("r1"))
        assert history.failures(history.runs()) == {"s::b": 1}


def test_durations_are_the_latest_recorded(tmp_path: Path) -> None:
    """s::a from the newer run, s::b (not in it) from the older one, an unseen id left out."""
    with History(tmp_path / "h.sqlite") as history:
        history.record(entry("old", finished="2026-01-01T00:00:00Z"))
        newer = RunEntry(
            "new", "2026-01-02T00:00:00Z", "APPROVED", IDENT, "0.1.0",
            outcomes=[("s::a", "s", "passed", 0.25)],
        )  # fmt: skip
        history.record(newer)
        assert history.durations(["s::a", "s::b", "s::unseen"]) == {"s::a": 0.25, "s::b": 1.5}


def test_a_corrupt_file_is_one_line_naming_it(tmp_path: Path) -> None:
    """Garbage in the file: HistoryError on one line with the path."""
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(HistoryError) as caught:
        History(path)
    message = str(caught.value)
    assert message.startswith(f"history {path}: cannot open: DatabaseError: ")
    assert "file is not a database" in message and "\n" not in message


WRITER = """
import sys
from pathlib import Path
from harness.history.store import History, Identity, RunEntry
ident = Identity("embedded", "chat-agent/1", "m1", "p1", "b1")
with History(Path(sys.argv[1])) as h:
    for i in range(25):
        h.record(RunEntry(f"{sys.argv[2]}-{i}", f"2026-01-01T00:00:{i:02d}Z", "APPROVED", ident,
                          "0.1.0", {}, [("s::a", "s", "passed", 0.1)], {"m": ("ms", [1.0] * 50)}))
"""


def test_two_processes_writing_at_once_both_land(tmp_path: Path) -> None:
    """Two writers of 25 runs each, concurrently: 50 runs, 50 outcomes, 2500 samples."""
    path = tmp_path / "h.sqlite"
    History(path).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name]) for name in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    db = sqlite3.connect(path)
    counts = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("runs", "outcomes")]
    assert counts == [50, 50]
    assert db.execute("SELECT COUNT(*) FROM samples").fetchone() == (2500,)


NOW = {"target": "embedded", "profile": "chat-agent/1", "manifest": "m1", "budgets": "b1"}
REFUSALS = [
    ("target", "ws://other:8000/ws", "another target: the baseline has 'ws://other:8000/ws'"),
    ("profile", "netra-2025-09", "another profile: the baseline has 'netra-2025-09'"),
    ("manifest", "m2", "another suite manifest (the planned tests differ): the baseline has 'm2'"),
    ("budgets", "b2", "other policy budgets: the baseline has 'b2', this run 'b1'"),
]


@pytest.mark.parametrize(("key", "value", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_difference_is_refused_with_its_reason(key: str, value: str, reason: str) -> None:
    """One differing part of the identity: refused, naming it."""
    refused = refusal(NOW, {**NOW, key: value})
    assert refused is not None and refused.startswith(reason)


def test_the_same_identity_or_none_is_compared() -> None:
    """Equal identities, or a baseline without one (an older verdict.json): compared."""
    assert refusal(NOW, dict(NOW)) is None
    assert refusal(NOW, {}) is None
