"""The cause ledger: the first cause of a key wins, across processes sharing the file."""

from __future__ import annotations

import json
from pathlib import Path

from harness.wire.causes import Cause, CauseLedger, CauseWatch

PING = Cause("reply:ping", "s::m::first", "no direct reply to a ping frame within 5 s")


def test_ledgers_on_one_file_share_causes(tmp_path: Path) -> None:
    path = tmp_path / "causes.jsonl"
    worker_a, worker_b = CauseLedger(path), CauseLedger(path)
    assert worker_b.find("reply:ping") is None
    assert worker_a.record(PING) == PING
    later = Cause("reply:ping", "s::m::second", "no direct reply to a ping frame within 3 s")
    assert worker_b.find("reply:ping") == PING
    assert worker_b.record(later) == PING
    assert [json.loads(line) for line in path.read_text().splitlines()] == [
        {"key": "reply:ping", "test": "s::m::first", "message": PING.message}
    ]


def test_first_line_of_a_key_wins_when_two_workers_raced(tmp_path: Path) -> None:
    path = tmp_path / "causes.jsonl"
    path.write_text(
        '{"key":"close","test":"s::m::a","message":"first"}\n'
        '{"key":"close","test":"s::m::b","message":"second"}\n'
    )
    assert CauseLedger(path).find("close") == Cause("close", "s::m::a", "first")


def test_a_line_still_being_written_is_read_once_complete(tmp_path: Path) -> None:
    path = tmp_path / "causes.jsonl"
    path.write_text('{"key":"welcome","test":"s::m::a","mess')
    ledger = CauseLedger(path)
    assert ledger.find("welcome") is None
    with path.open("a") as fh:
        fh.write('age":"no first frame"}\n{"key":"clo')
    assert ledger.find("welcome") == Cause("welcome", "s::m::a", "no first frame")
    assert ledger.find("close") is None


def test_in_process_ledger_without_a_file() -> None:
    ledger = CauseLedger()
    assert ledger.record(PING) == PING
    assert ledger.find("reply:ping") == PING
    assert ledger.find("reply:user_message") is None


def test_watch_keeps_the_causes_its_test_saw_first() -> None:
    ledger = CauseLedger()
    seen: list[Cause] = []
    first = CauseWatch(ledger, "s::m::first", on_first=seen.append)
    second = CauseWatch(ledger, "s::m::second", on_first=seen.append)
    assert first.timed_out("reply:ping", PING.message) == PING
    assert second.timed_out("reply:ping", "no direct reply to a ping frame within 1 s") == PING
    assert (first.first, second.first, seen) == ([PING], [], [PING])


def test_a_suites_own_wait_is_short_once_its_cause_is_known() -> None:
    ledger = CauseLedger()
    first = CauseWatch(ledger, "s::m::first")
    second = CauseWatch(ledger, "s::m::second")
    assert first.within("stats:settle", 3.0) == 3.0
    settle = first.missed("stats:settle", "the /stats counters did not settle within 3 s")
    assert second.within("stats:settle", 3.0) == 0.1
    assert second.within("stats:settle", 0.1) == 0.1
    assert second.missed("stats:settle", "the /stats counters did not settle") == settle
    assert (first.first, second.first, second.again) == ([settle], [], [settle])
