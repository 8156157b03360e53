"""End to end: `run --shard I/N` runs a slice, `merge` judges the slices as one run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.run.results import read_results

SUITE = "timestamp_core"  # both phases: the parallel suite phase and one serial perf test
DEADLINE_S = 240
pytestmark = [pytest.mark.slow, pytest.mark.timeout(DEADLINE_S + 60)]


@dataclass(frozen=True)
class Done:
    """Exit code, stderr and the verdict.json a command left in `out`."""

    code: int
    stderr: str
    out: Path

    @property
    def verdict(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out / "verdict.json").read_text("utf-8"))
        return data

    def ran(self) -> set[str]:
        """The test ids results.jsonl has an attempt of."""
        return set(read_results(self.out / "results.jsonl").attempts)

    def ran_in_phase(self, phase: int) -> set[str]:
        """The test ids results.jsonl has an attempt of in `phase`."""
        lines = (self.out / "results.jsonl").read_text("utf-8").splitlines()
        attempts = [json.loads(line) for line in lines if '"kind":"attempt"' in line]
        return {a["id"] for a in attempts if a["phase"] == phase}


def reasons(done: Done) -> str:
    """The verdict's reasons, one a line: what a failed expectation shows of a run."""
    return "\n".join(f"{r['rule']}: {r['message']}" for r in done.verdict["reasons"])


def command(*args: str, out: Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], out: Path) -> Done:
    _, stderr = proc.communicate(timeout=DEADLINE_S)
    return Done(proc.returncode, stderr, out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Done]:
    """An unsharded run of the suite and its two shards, run side by side."""
    root = tmp_path_factory.mktemp("shards")
    common = ("run", "--suite", SUITE, "--no-history", "--quiet", "-n", "2")
    started = {
        name: command(*common, *shard, "--out", str(root / name), out=root / name, cwd=root)
        for name, shard in (("whole", ()), ("s1", ("--shard", "1/2")), ("s2", ("--shard", "2/2")))
    }
    return {name: finish(proc, root / name) for name, proc in started.items()}


def merge(
    tmp: Path, *folders: Path, quiet: bool = True, name: str = "merged", extra: tuple[str, ...] = ()
) -> Done:
    out = tmp / name
    args = ["merge", *map(str, folders), "--out", str(out), *(["--quiet"] if quiet else [])]
    return finish(command(*args, *extra, out=out, cwd=tmp), out)


def test_each_shard_runs_its_slice_and_the_slices_are_the_whole_plan(
    runs: dict[str, Done],
) -> None:
    whole, s1, s2 = runs["whole"], runs["s1"], runs["s2"]
    # The split is what is checked here, whatever the outcomes: three gate runs side by side
    # on two busy cores can see a reply miss its deadline (a failure, a flaky rerun). Each run
    # must have judged every test it planned (0 or 1), never ended INCOMPLETE (2) or crashed.
    for done in (whole, s1, s2):
        assert done.code in (0, 1), f"{done.out.name}: exit {done.code}: {done.stderr}"
    assert s1.ran() and s2.ran()
    assert not s1.ran() & s2.ran()
    assert s1.ran() | s2.ran() == whole.ran()
    for index, shard in ((1, s1), (2, s2)):
        document = shard.verdict
        assert document["shard"]["index"] == index
        assert document["shard"]["count"] == 2
        assert document["shard"]["planned_total"] == len(whole.ran())
        assert document["summary"]["planned"] == len(shard.ran())
        assert document["environment"]["shards"]["of"] == 2
        # The other shard's tests are neither missing nor not applicable here.
        assert document["summary"]["not_run"] == 0
        assert document["not_applicable"] == []
    assert s1.verdict["shard"]["plan_hash"] == s2.verdict["shard"]["plan_hash"]
    assert s1.verdict["shard"]["split_digest"] == s2.verdict["shard"]["split_digest"]
    # Both phases honour the shard: the serial phase's tests ran once, in one shard or the other.
    serial = whole.ran_in_phase(2)
    assert serial, "the suite has a test in the serial phase"
    assert s1.ran_in_phase(2) | s2.ran_in_phase(2) == serial
    assert not s1.ran_in_phase(2) & s2.ran_in_phase(2)
    assert s1.ran_in_phase(1) and s2.ran_in_phase(1)


def test_merging_both_shards_is_approved_like_the_unsharded_run(
    runs: dict[str, Done], tmp_path: Path
) -> None:
    merged = merge(tmp_path, runs["s1"].out, runs["s2"].out, quiet=False)
    assert runs["whole"].code == 0, reasons(runs["whole"])
    assert merged.code == 0, merged.stderr + reasons(merged)
    document = merged.verdict
    assert document["verdict"] == "APPROVED"
    assert document["summary"] == runs["whole"].verdict["summary"]
    # The merged full plan is the unsharded run's suite manifest: each is the other's baseline.
    assert document["identity"]["manifest"] == runs["whole"].verdict["identity"]["manifest"]
    assert document["environment"]["shards"]["count"] == 2
    assert document["environment"]["shards"]["of"] == 2
    assert [m["index"] for m in document["shards"]["members"]] == [1, 2]
    assert "2 of 2 shards merged" in (merged.out / "report.md").read_text("utf-8")
    assert "2 of 2 shards merged" in (merged.out / "report.html").read_text("utf-8")
    assert (merged.out / "junit.xml").exists()


def test_a_missing_shard_is_incomplete(runs: dict[str, Done], tmp_path: Path) -> None:
    merged = merge(tmp_path, runs["s1"].out)
    assert merged.code == 2, merged.stderr
    document = merged.verdict
    assert document["verdict"] == "INCOMPLETE"
    assert any("shard 2/2 is missing" in e["message"] for e in document["run_errors"])
    assert document["summary"]["not_run"] == len(runs["s2"].ran())
    assert document["summary"]["planned"] == runs["whole"].verdict["summary"]["planned"]


def test_a_shard_given_twice_is_incomplete(runs: dict[str, Done], tmp_path: Path) -> None:
    again = tmp_path / "s1-again"
    shutil.copytree(runs["s1"].out, again)
    merged = merge(tmp_path, runs["s1"].out, again, runs["s2"].out)
    assert merged.code == 2, merged.stderr
    assert any("shard 1/2 appears twice" in e["message"] for e in merged.verdict["run_errors"])
    assert merged.verdict["summary"]["passed"] == runs["whole"].verdict["summary"]["passed"]


def test_shards_that_planned_different_tests_are_incomplete(
    runs: dict[str, Done], tmp_path: Path
) -> None:
    # Shard 2 as a machine with one test fewer installed would have planned it.
    other = tmp_path / "s2-other"
    shutil.copytree(runs["s2"].out, other)
    plan = json.loads((other / "shard-phase1.json").read_text("utf-8"))
    plan["plan"].popitem()
    plan["plan_hash"] = "another-plan"
    (other / "shard-phase1.json").write_text(json.dumps(plan), "utf-8")
    document = json.loads((other / "verdict.json").read_text("utf-8"))
    document["shard"]["plan_hash"] = "another-plan"
    (other / "verdict.json").write_text(json.dumps(document), "utf-8")
    merged = merge(tmp_path, runs["s1"].out, other)
    assert merged.code == 2, merged.stderr
    messages = [e["message"] for e in merged.verdict["run_errors"]]
    assert any("the shards planned different test sets" in m for m in messages), messages


def test_a_folder_without_a_verdict_is_one_line_and_the_rest_is_still_reported(
    runs: dict[str, Done], tmp_path: Path
) -> None:
    empty = tmp_path / "not-a-shard"
    empty.mkdir()
    merged = merge(tmp_path, runs["s1"].out, empty)
    assert merged.code == 4
    lines = merged.stderr.strip().splitlines()
    assert lines == [
        f"stability-harness: error: merge: {empty}: no verdict.json (not a run's --out folder)"
    ]
    assert merged.verdict["verdict"] == "INCOMPLETE"
    assert (merged.out / "report.md").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--shard", "3/2"], "--shard '3/2': expected I/N with 1 <= I <= N"),
        (["run", "--shard", "0/4"], "--shard '0/4': expected I/N with 1 <= I <= N"),
        (["run", "--shard", "two"], "--shard 'two': expected I/N with 1 <= I <= N"),
        (["run", "--shard-durations", "d.json"], "--shard-durations applies only with --shard"),
        (["merge", "nowhere", "--out", "m"], "merge: nowhere: no verdict.json"),
        (["merge", "m", "--out", "m"], "merge: --out m is one of the shard folders"),
    ],
)
def test_bad_shard_and_merge_input_is_one_line_exit_4(
    args: list[str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err


def test_bad_durations_file_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("d.json").write_text('{"suite::m::t": "slow"}', "utf-8")
    assert main(["run", "--shard", "1/2", "--shard-durations", "d.json"]) == 4
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--shard-durations d.json: 'suite::m::t': expected seconds" in line


DEFECT = "naive-local-time"  # a zone-less ISO string read as UTC-05:00, not as UTC
ZONELESS = "timestamp_core::test_wire::test_accepted_timestamp_is_normalised[iso-zoneless-utc]"


@pytest.fixture(scope="module")
def recorded(runs: dict[str, Done], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Done]:
    """One history: the clean shards merged (APPROVED); then a defect run as shards 1/2 and
    2/2 one after another, both splitting by the history's durations, merged with auto."""
    root = tmp_path_factory.mktemp("recorded")
    history = ("--history", str(root / "history.sqlite"))
    done = {"clean": merge(root, runs["s1"].out, runs["s2"].out, name="clean", extra=history)}
    common = ("run", "--suite", SUITE, *history, "--defect", DEFECT, "--quiet", "-n", "2")
    for index, extra in ((1, ("--baseline", "auto")), (2, ())):
        out = root / f"broken{index}"
        shard = ("--shard", f"{index}/2", *extra, "--out", str(out))
        done[out.name] = finish(command(*common, *shard, out=out, cwd=root), out)
    shards = (done["broken1"].out, done["broken2"].out)
    done["merged"] = merge(root, *shards, extra=(*history, "--baseline", "auto"))
    return done


def test_merge_with_baseline_auto_names_the_regression(recorded: dict[str, Done]) -> None:
    merged, clean = recorded["merged"], recorded["clean"]
    assert clean.code == 0, clean.stderr + reasons(clean)
    assert merged.code == 1, merged.stderr + reasons(merged)
    document = merged.verdict
    assert document["verdict"] == "NOT_APPROVED"
    assert document["baseline"]["source"] == f"history run {clean.verdict['run_id']}"
    assert ZONELESS in document["baseline"]["regressions"]
    assert any(r["rule"] == "regression" and ZONELESS in r["tests"] for r in document["reasons"])
    trend = [(p["run_id"], p["verdict"]) for p in document["trend"]]
    assert trend == [
        (clean.verdict["run_id"], "APPROVED"),
        (document["run_id"], "NOT_APPROVED"),
    ]
    assert document["unstable"]["tests"][ZONELESS] == 1


def test_the_merges_are_recorded_and_the_shard_runs_are_not(
    recorded: dict[str, Done], capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = recorded["broken1"].verdict, recorded["broken2"].verdict
    # Shard 2 split the plan as shard 1 did: shard 1 added no durations to the history.
    assert first["shard"]["split_digest"] == second["shard"]["split_digest"]
    assert first["shard"]["durations"] == ["history history.sqlite"]
    refused = first["baseline_refused"]
    assert refused is not None and "a shard judges a slice of the plan" in refused["reason"]
    assert "trend" not in first and "unstable" not in first
    history = recorded["merged"].out.parent / "history.sqlite"
    assert main(["history", "--history", str(history), "--format", "json"]) == 0
    rows = [(r["run_id"], r["verdict"], r["manifest"]) for r in json.loads(capsys.readouterr().out)]
    manifest = recorded["clean"].verdict["identity"]["manifest"]
    assert rows == [
        (recorded["merged"].verdict["run_id"], "NOT_APPROVED", manifest),
        (recorded["clean"].verdict["run_id"], "APPROVED", manifest),
    ]
