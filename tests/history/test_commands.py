"""`stability-harness diff` and `history` over a history written through the store API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.history.store import History, Identity, entry_of

IDENT = Identity("embedded", "chat-agent/1", "m1", "p1", "b1")
LATENCY = "agent_started_latency_ms"
BASE_OUTCOMES = {"s::a": "passed", "s::b": "failed", "s::c": "failed", "s::gone": "passed"}
NEW_OUTCOMES = {"s::a": "failed", "s::b": "passed", "s::c": "failed", "s::fresh": "passed"}


def document(
    run_id: str,
    finished: str,
    verdict: str,
    outcomes: dict[str, str],
    latency: list[float],
    identity: Identity = IDENT,
) -> dict[str, Any]:
    """A verdict.json of one suite `s`, a latency metric with a p95 budget and a flat metric."""
    tests = [{"id": i, "outcome": o, "duration_s": 0.5} for i, o in outcomes.items()]
    ordered = sorted(latency)
    return {
        "schema": "stability-harness/verdict@1",
        "run_id": run_id,
        "finished_at": finished,
        "verdict": verdict,
        "harness_version": "0.1.0",
        "summary": {
            "planned": len(tests),
            "passed": list(outcomes.values()).count("passed"),
            "failed": list(outcomes.values()).count("failed"),
        },
        "suites": [{"name": "s", "tests": tests}],
        "metrics": {
            LATENCY: {
                "value": ordered[len(ordered) // 2],
                "unit": "ms",
                "samples": latency,
                "p95": ordered[-1],
                "budgets": [{"statistic": "p95", "limit": 500.0}],
            },
            "frame_bytes": {"value": 100.0, "unit": "B", "samples": [100.0] * 5},
        },
        "identity": identity.to_json(),
    }


BASE = document(
    "r1", "2026-01-01T10:00:00Z", "NOT_APPROVED", BASE_OUTCOMES, [float(v) for v in range(1, 21)]
)
NEW = document(
    "r2", "2026-01-02T10:00:00Z", "NOT_APPROVED", NEW_OUTCOMES, [float(v) for v in range(101, 121)]
)
OTHER = document(
    "r3",
    "2026-01-03T10:00:00Z",
    "APPROVED",
    {"s::a": "passed"},
    [5.0, 6.0],
    Identity("ws://127.0.0.1:9/ws", "chat-agent/1", "m1", "p1", "b1"),
)


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """A history with r1 and r2 (embedded) and r3 (another target); each also as a file."""
    path = tmp_path / "h.sqlite"
    with History(path) as history:
        for doc in (BASE, NEW, OTHER):
            history.record(entry_of(doc, Identity(**doc["identity"])))
            folder = tmp_path / str(doc["run_id"])
            folder.mkdir()
            (folder / "verdict.json").write_text(json.dumps(doc), "utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_by_run_ids_prints_every_transition_and_metric(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """r1 -> r2: one test of each transition; latency shifted by 100 ms is significant."""
    code, out, err = cli(capsys, "diff", "r1", "r2", "--history", str(stored))
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[:12] == [
        "baseline: history run r1",
        "compared: history run r2",
        "regression (passed there, fail now): 1",
        "  s::a",
        "fixed (failed there, pass now): 1",
        "  s::b",
        "still failing (failed there and now): 1",
        "  s::c",
        "new (not in the baseline): 1",
        "  s::fresh",
        "removed (no longer planned): 1",
        "  s::gone",
    ]
    assert lines[12] == "metric changes: 2"
    assert lines[13].startswith(
        f"  {LATENCY}: 11 -> 111 (+909.09%); median 10.5 -> 110.5, samples 20 -> 20, p = "
    )
    assert lines[13].endswith(": significant")
    assert lines[14] == (
        "  frame_bytes: 100 -> 100 (+0.00%); median 100 -> 100, samples 5 -> 5, p = 1: "
        "not significant"
    )


def test_diff_by_paths_as_json_and_markdown(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A verdict.json and a run folder: the same transitions as JSON; Markdown tables."""
    base, new = str(tmp_path / "r1" / "verdict.json"), str(tmp_path / "r2")
    code, out, _ = cli(capsys, "diff", base, new, "--format", "json", "--history", str(stored))
    data = json.loads(out)
    assert code == 1
    assert data["baseline"]["source"] == base
    assert data["compared"]["source"] == str(tmp_path / "r2" / "verdict.json")
    assert data["tests"] == {
        "regression": ["s::a"],
        "fixed": ["s::b"],
        "still_failing": ["s::c"],
        "new": ["s::fresh"],
        "removed": ["s::gone"],
    }
    latency = data["metrics"][LATENCY]
    assert (latency["before_median"], latency["after_median"]) == (10.5, 110.5)
    assert (latency["before_count"], latency["after_count"]) == (20, 20)
    assert latency["p_value"] < 1e-6 and latency["significant"] is True
    assert data["metrics"]["frame_bytes"]["p_value"] == 1.0
    assert data["metrics"]["frame_bytes"]["significant"] is False
    code, out, _ = cli(capsys, "diff", base, new, "--format", "md")
    assert code == 1
    assert "| regression (passed there, fail now) | 1 |" in out
    assert "### Still failing (failed there and now)\n\n- `s::c`\n" in out
    assert f"| `{LATENCY}` | 11 | 111 | +909.09 % | 10.5 | 110.5 | 20 | 20 | " in out
    assert "| `frame_bytes` | 100 | 100 | +0.00 % | 100 | 100 | 5 | 5 | 1 | no |" in out


def test_a_run_against_itself_has_no_regression(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """r2 -> r2: exit 0, only still-failing tests."""
    code, out, _ = cli(capsys, "diff", "r2", "r2", "--history", str(stored))
    assert code == 0
    assert "regression (passed there, fail now): 0" in out.splitlines()


REFUSED = [
    ("target", "ws://127.0.0.1:9/ws", "another target"),
    ("profile", "netra-2025-09", "another profile"),
    ("manifest", "m2", "another suite manifest (the planned tests differ)"),
    ("budgets", "b2", "other policy budgets"),
]


@pytest.mark.parametrize(("key", "value", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_runs_that_are_not_comparable_are_refused(
    key: str, value: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One differing part of the identity: exit 4, one stderr line naming it, nothing compared."""
    other = {**NEW, "identity": {**NEW["identity"], key: value}}
    base, new = tmp_path / "base.json", tmp_path / "new.json"
    base.write_text(json.dumps(BASE), "utf-8")
    new.write_text(json.dumps(other), "utf-8")
    code, out, err = cli(capsys, "diff", str(base), str(new))
    assert (code, out) == (4, "")
    assert err.startswith(
        f"stability-harness: error: diff refused: {base} and {new} are not comparable: {reason}: "
    )
    assert err.count("\n") == 1


def test_bad_inputs_are_one_line_naming_what_and_where(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown path or run id, a folder without verdict.json, a corrupt history: exit 4."""
    absent = tmp_path / "absent.sqlite"
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"not a database " * 300)
    empty, h = tmp_path / "empty", ("--history", str(stored))
    empty.mkdir()
    cases = [
        (("nope", "r2", *h), f"nope: no such file or folder, nor a run id in history {stored}"),
        (
            ("r1", "r2", "--history", str(absent)),
            f"r1: no such file or folder, and no history at {absent} to find it as a run id",
        ),
        ((str(empty), "r2", *h), f"{empty}: the folder holds no verdict.json"),
        (
            ("r1", "r2", "--history", str(corrupt)),
            f"history {corrupt}: cannot open: DatabaseError: file is not a database",
        ),
    ]
    for argv, message in cases:
        code, out, err = cli(capsys, "diff", *argv)
        assert (code, out, err) == (4, "", f"stability-harness: error: {message}\n")
    assert not absent.exists()
    code, _, err = cli(capsys, "history", "--history", str(corrupt))
    assert (code, err.count("\n")) == (4, 1)
    assert err.startswith(f"stability-harness: error: history {corrupt}: cannot open: ")


def test_history_lists_runs_newest_first_as_whole_lines(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a pipe: a header line and one tab-separated line per run, newest first."""
    code, out, _ = cli(capsys, "history", "--history", str(stored))
    assert code == 0
    assert out.splitlines() == [
        f"run\tfinished\tverdict\ttarget\tprofile\tplanned\tpassed\tfailed\t{LATENCY} p95",
        "r3\t2026-01-03T10:00:00Z\tAPPROVED\tws://127.0.0.1:9/ws\tchat-agent/1\t1\t1\t0\t6",
        "r2\t2026-01-02T10:00:00Z\tNOT_APPROVED\tembedded\tchat-agent/1\t4\t2\t2\t120",
        "r1\t2026-01-01T10:00:00Z\tNOT_APPROVED\tembedded\tchat-agent/1\t4\t2\t2\t20",
    ]
    _, out, _ = cli(capsys, "history", "--history", str(stored), "--limit", "1")
    assert [line.split("\t")[0] for line in out.splitlines()] == ["run", "r3"]
    _, out, _ = cli(capsys, "history", "--history", str(stored), "--target", "embedded")
    assert [line.split("\t")[0] for line in out.splitlines()] == ["run", "r2", "r1"]
    _, out, _ = cli(capsys, "history", "--history", str(stored), "--format", "json", "--limit", "2")
    assert [(r["run_id"], r["p95"]) for r in json.loads(out)] == [
        ("r3", {LATENCY: 6.0}),
        ("r2", {LATENCY: 120.0}),
    ]


def test_an_empty_or_missing_history_says_so(
    stored: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No file, or no run of the target: a message and exit 0; --limit 0 is a usage error."""
    absent = tmp_path / "none" / "h.sqlite"
    code, out, _ = cli(capsys, "history", "--history", str(absent))
    assert (code, out) == (
        0,
        f"no history at {absent}: every run writes one (run --history PATH)\n",
    )
    assert not absent.exists()
    code, out, _ = cli(capsys, "history", "--history", str(stored), "--target", "ws://x/ws")
    assert (code, out) == (0, f"no runs of target ws://x/ws in history {stored}\n")
    code, _, err = cli(capsys, "history", "--history", str(stored), "--limit", "0")
    assert (code, err) == (
        4,
        "stability-harness: error: --limit 0: expected a positive number of runs\n",
    )
