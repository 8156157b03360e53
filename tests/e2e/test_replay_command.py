"""End to end: `replay` of the shipped staging capture, and `run` with the replays suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import RUN_DEADLINE_S, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_DEADLINE_S + 30)]

STAGING = (
    Path(__file__).resolve().parents[2]
    / "suites/replays/captures/staging-2025-09-08-iso-timestamp.jsonl"
)


def test_the_staging_capture_replays_clean_on_the_clean_server(tmp_path: Path) -> None:
    run = harness("replay", str(STAGING), "--quiet", out=tmp_path / "out")
    assert run.code == 0, run.stdout + run.stderr
    assert run.verdict is not None
    assert [s["name"] for s in run.verdict["suites"]] == ["replays"]
    (test,) = run.suite("replays")["tests"]
    name = "replays::test_captures::test_capture_replays_as_recorded"
    assert test["id"] == f"{name}[staging-2025-09-08-iso-timestamp]"
    assert test["outcome"] == "passed"
    statuses = {r["id"]: r["status"] for r in run.verdict["rules"]}
    assert statuses["8.replay.frame-types"] == "verified"
    assert statuses["5.accepted.iso-zoneless-utc"] == "verified"  # the capture names it
    assert statuses["5.rejected.boolean"] == "not_verified"  # its suites were not run


def test_the_staging_capture_fails_on_the_crashing_server(tmp_path: Path) -> None:
    run = harness(
        "replay", str(STAGING), "--defect", "iso-timestamp-crash", "--quiet", out=tmp_path / "out"
    )
    assert run.code == 1, run.stdout + run.stderr
    assert run.verdict is not None
    assert run.verdict["verdict"] == "NOT_APPROVED"
    (test,) = run.suite("replays")["tests"]
    assert test["outcome"] == "failed"
    assert test["message"].startswith(
        "replay of staging-2025-09-08-iso-timestamp.jsonl: connection 1, server frame 2: type: "
        'recorded "ack", replayed <absent>'
    )
    assert any(frame.get("close_code") == 1011 for frame in test["transcript"])
    statuses = {r["id"]: r["status"] for r in run.verdict["rules"]}
    assert statuses["6.close.never-1011"] == "violated"


def test_the_reports_show_the_first_diverging_frame(tmp_path: Path) -> None:
    run = harness(
        "replay", str(STAGING), "--defect", "iso-timestamp-crash", "--quiet", out=tmp_path / "out"
    )
    assert run.code == 1, run.stdout + run.stderr
    markdown = (run.out / "report.md").read_text("utf-8")
    assert "## Replayed captures" in markdown
    assert (
        "| `staging-2025-09-08-iso-timestamp.jsonl` | ❌ failed | replay of "
        "staging-2025-09-08-iso-timestamp.jsonl: connection 1, server frame 2: type: recorded "
        '"ack", replayed \\<absent\\> |'
    ) in markdown
    assert '"client_timestamp": 1757350201.447585' in markdown.split("## Replayed captures")[1]
    html = (run.out / "report.html").read_text("utf-8")
    assert '<section id="replays">' in html
    assert "recorded and replayed frames" in html


def test_a_policy_names_more_captures(tmp_path: Path) -> None:
    folder = tmp_path / "incidents"
    folder.mkdir()
    (folder / "incident-2.jsonl").write_text(STAGING.read_text("utf-8"), "utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text('[replays]\npaths = ["incidents"]\n', "utf-8")
    run = harness(
        "run", "--suite", "replays", "--policy", str(policy), "--quiet", out=tmp_path / "out"
    )
    assert run.code == 0, run.stdout + run.stderr
    ids = [t["id"].split("[")[1] for t in run.suite("replays")["tests"]]
    assert ids == ["staging-2025-09-08-iso-timestamp]", "incident-2]"]
    (folder / "incident-2.jsonl").write_text('{"format": "other"}\n', "utf-8")
    bad = harness("run", "--policy", str(policy), "--quiet", out=tmp_path / "out2")
    assert bad.code == 4
    assert "incident-2.jsonl:1: format: expected 'stability-harness/capture'" in bad.stderr
