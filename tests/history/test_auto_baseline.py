"""End to end: `--baseline auto` from the run history, refusals, and a corrupt history."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Finished, harness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
SUITES = ("--suite", "staging_repro")
STAGING = "staging_repro::test_staging_frame::test_staging_timestamp_in_ping"


def run(tmp: Path, name: str, *args: str) -> Finished:
    return harness("run", *SUITES, "--history", str(tmp / "h.sqlite"), *args, out=tmp / name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Finished]:
    """A clean run, two defect runs against it, then a clean run again, all with auto."""
    tmp = tmp_path_factory.mktemp("history")
    first = run(tmp, "clean", "--baseline", "auto")
    broken = run(tmp, "broken", "--baseline", "auto", "--defect", "iso-timestamp-crash")
    again = run(tmp, "again", "--baseline", "auto", "--defect", "iso-timestamp-crash")
    fixed = run(tmp, "fixed", "--baseline", "auto")
    return {"clean": first, "broken": broken, "again": again, "fixed": fixed}


def test_the_first_run_has_no_baseline(runs: dict[str, Finished]) -> None:
    """An empty history: APPROVED, and "no baseline" said as such."""
    clean = runs["clean"]
    assert (clean.code, clean.verdict and clean.verdict["baseline"]) == (0, None)
    assert [r["rule"] for r in clean.reasons()].count("no-baseline") == 1


def test_a_defect_run_names_its_regressions(runs: dict[str, Finished]) -> None:
    """Tests that passed in the approved run and fail now: regressions, NOT_APPROVED."""
    broken = runs["broken"]
    assert broken.code == 1 and broken.verdict is not None
    clean_id = runs["clean"].verdict["run_id"]  # type: ignore[index]
    assert broken.verdict["baseline"]["source"] == f"history run {clean_id}"
    assert STAGING in broken.verdict["baseline"]["regressions"]
    assert broken.verdict["baseline"]["fixed"] == []
    assert any(r["rule"] == "regression" and STAGING in r["tests"] for r in broken.reasons())


def test_the_baseline_stays_the_last_approved_run(runs: dict[str, Finished]) -> None:
    """A second defect run compares with the approved run, not the failing one."""
    again = runs["again"]
    assert again.verdict is not None
    clean_id = runs["clean"].verdict["run_id"]  # type: ignore[index]
    assert again.verdict["baseline"]["source"] == f"history run {clean_id}"
    assert STAGING in again.verdict["baseline"]["regressions"]
    assert again.verdict["unstable"]["tests"][STAGING] == 2


def test_a_repaired_target_is_compared_with_the_last_approved(runs: dict[str, Finished]) -> None:
    """After the defect is gone: no regression, APPROVED, the trend holds all four runs."""
    fixed = runs["fixed"]
    assert fixed.code == 0 and fixed.verdict is not None
    assert fixed.verdict["baseline"]["regressions"] == []
    assert [p["verdict"] for p in fixed.verdict["trend"]] == [
        "APPROVED",
        "NOT_APPROVED",
        "NOT_APPROVED",
        "APPROVED",
    ]
    assert fixed.verdict["unstable"]["tests"][STAGING] == 2


def test_another_suite_manifest_is_refused(runs: dict[str, Finished], tmp_path: Path) -> None:
    """The same history, two suites: refused (another suite manifest), never compared."""
    history = runs["clean"].out.parent / "h.sqlite"
    only = harness(
        "run",
        *SUITES,
        "--suite",
        "business_flow",
        "--history",
        str(history),
        "--baseline",
        "auto",
        out=tmp_path / "only",
    )
    assert only.code == 0 and only.verdict is not None
    assert only.verdict["baseline"] is None
    (refused,) = [r for r in only.reasons() if r["rule"] == "baseline-refused"]
    assert "another suite manifest (the planned tests differ)" in refused["message"]


def test_other_budgets_are_refused(runs: dict[str, Finished], tmp_path: Path) -> None:
    """The same suites under a policy with other budgets: refused, naming the budgets."""
    policy = tmp_path / "policy.toml"
    budget = 'metric = "x_ms"\nstatistic = "p95"\nlimit = 1\nunit = "ms"\nrequired = false\n'
    policy.write_text(f"[[budgets]]\n{budget}")
    history = runs["clean"].out.parent / "h.sqlite"
    other = harness(
        "run",
        *SUITES,
        "--policy",
        str(policy),
        "--history",
        str(history),
        "--baseline",
        "auto",
        out=tmp_path / "other",
    )
    assert other.verdict is not None and other.verdict["baseline"] is None
    (refused,) = [r for r in other.reasons() if r["rule"] == "baseline-refused"]
    assert "other policy budgets" in refused["message"]


def test_a_corrupt_history_is_one_line_and_the_reports_are_written(tmp_path: Path) -> None:
    """Garbage as the history: one stderr line, verdict.json and report.html written, exit 0."""
    history = tmp_path / "h.sqlite"
    history.write_bytes(b"not sqlite " * 500)
    done = harness(
        "run", "--suite", "staging_repro", "--history", str(history), out=tmp_path / "out"
    )
    assert done.code == 0 and done.verdict is not None
    assert (tmp_path / "out" / "report.html").exists()
    lines = [line for line in done.stderr.splitlines() if "history" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"stability-harness: history {history}: cannot open: ")
    assert "file is not a database" in lines[0]
