"""`merge` ends in the publish pipeline: its verdict, reports and console are redacted."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from harness.history.store import VERDICT_FILE
from harness.run.merge import merge
from harness.wire.tokens import SECRET_ENV

SECRET = "pipeline-secret-7f3a9c"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl"


def shard_folder(folder: Path, message: str) -> Path:
    """A shard's --out folder as `run --shard 1/1` leaves it, with a run error's message."""
    folder.mkdir()
    document = {
        "schema": "stability-harness/verdict@1",
        "run_id": "20261125T204000Z-1a2b3c",
        "started_at": "2026-11-25T20:40:00.000000Z",
        "finished_at": "2026-11-25T20:40:12.500000Z",
        "verdict": "INCOMPLETE",
        "target": {"url": "ws://127.0.0.1:40123/ws", "kind": "remote", "defects": []},
        "shard": {"index": 1, "count": 1, "plan_hash": "p", "split_digest": "s"},
        "run_errors": [{"cause": "internal", "message": message, "suite": None, "tests": []}],
    }
    (folder / VERDICT_FILE).write_text(json.dumps(document), "utf-8")
    return folder


def test_merge_redacts_the_secret_and_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    message = f"pytest phase 1 hit an internal error: secret={SECRET} token={TOKEN}"
    shard = shard_folder(tmp_path / "shard1", message)
    out = tmp_path / "merged"
    printed = io.StringIO()
    console = Console(file=printed, width=200, highlight=False)
    code = merge([shard], out, None, console, quiet=False, history=None)
    assert code == 2
    written = {p.name: p.read_text("utf-8") for p in out.iterdir()}
    assert sorted(written) == ["junit.xml", "report.html", "report.md", VERDICT_FILE]
    assert "<redacted:secret>" in written[VERDICT_FILE]
    for text in (*written.values(), printed.getvalue()):
        assert SECRET not in text
        assert TOKEN not in text
    document = json.loads(written[VERDICT_FILE])
    assert document["verdict"] == "INCOMPLETE"
    assert document["shards"]["count"] == 1
