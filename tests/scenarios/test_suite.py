"""The scenarios suite end to end on the embedded reference server (pytest in a process of
its own), and how a run selects it: left out without a folder, given its folders with."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.run.inputs import read_inputs
from harness.run.options import RunOptions
from tests.suites.proof import run_suite

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scenarios"
WRONG = """
[scenario]
name = "wrong-sum"
runs = 2
[[turn]]
send = "What is 2+3?"
[[turn.check]]
contains = "6"
"""


def attempts(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    return {str(r["id"]): r for r in records if r.get("kind") == "attempt"}


@pytest.mark.slow
def test_the_examples_pass_and_a_wrong_answer_fails_with_its_message(
    pytester: pytest.Pytester,
) -> None:
    wrong = pytester.path / "wrong"
    wrong.mkdir()
    (wrong / "wrong.toml").write_text(WRONG, encoding="utf-8")
    shutil.copytree(EXAMPLES, pytester.path / "examples")
    extra = ("--harness-scenarios", "examples", "--harness-scenarios", "wrong")
    result = run_suite(pytester, "scenarios", extra=extra)
    outcomes = {
        test.rsplit("[", 1)[1][:-1]: r["outcome"]
        for test, r in attempts(pytester.path / "out").items()
    }
    assert outcomes == {
        "arithmetic": "passed",
        "failure-then-recovery": "passed",
        "word-count": "passed",
        "wrong-sum": "failed",
    }
    assert result.ret == 1
    failed = attempts(pytester.path / "out")["scenarios::test_scenarios::test_scenario[wrong-sum]"]
    assert failed["message"] == (
        "scenario wrong-sum: 0 of 2 runs passed (min_pass 2); run 1, turn 1, check "
        "contains '6': the final text does not contain '6'; final text: '2+3 = 5': "
        "expected 'at least 2 of 2 runs passing', observed '0 of 2'"
    )


@pytest.mark.slow
def test_without_a_folder_the_suite_plans_nothing(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "scenarios")
    result.stdout.fnmatch_lines(["2 workers [0 items]", "*no tests ran*"])
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_without_a_folder_the_run_leaves_the_suite_out() -> None:
    inputs = read_inputs(RunOptions())
    names = [suite.name for suite in inputs.suites]
    assert "scenarios" not in names and "business_flow" in names
    assert not any("--harness-scenarios" in a for a in inputs.options.extra_pytest_args)


def test_a_folder_of_scenarios_selects_the_suite_and_passes_the_folder() -> None:
    inputs = read_inputs(RunOptions(scenarios=(str(EXAMPLES),), suites=("scenarios",)))
    assert [suite.name for suite in inputs.suites] == ["scenarios"]
    assert inputs.options.extra_pytest_args == (f"--harness-scenarios={EXAMPLES}",)


def test_the_policy_names_folders_relative_to_itself_and_the_criticality(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "mine")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[scenarios]\nfolders = ["mine"]\ncriticality = "critical"\n', encoding="utf-8"
    )
    inputs = read_inputs(RunOptions(policy=policy))
    assert "scenarios" in [suite.name for suite in inputs.suites]
    assert inputs.options.extra_pytest_args == (f"--harness-scenarios={tmp_path / 'mine'}",)
    assert inputs.policy.criticality["scenarios"].value == "critical"


LOWERED = (
    "TMP/policy.toml: criticality.scenarios: lowers suite scenarios from major (its manifest) "
    'to minor: name an approver and a reason, as scenarios = { level = "minor", approver = '
    '"...", reason = "..." }'
)


@pytest.mark.parametrize(
    ("policy", "suites", "folders", "error"),
    [
        (
            None,
            ("scenarios",),
            (),
            "--suite scenarios: no scenario folder given (--scenarios DIR, or the policy's "
            "[scenarios] folders)",
        ),
        (None, (), ("TMP/nowhere",), "--scenarios TMP/nowhere: TMP/nowhere does not exist"),
        (
            None,
            (),
            ("TMP/bad",),
            "TMP/bad/bad.toml:2: scenario.runs: expected a whole number >= 1, got 0",
        ),
        (
            '[scenarios]\nfolders = ["gone"]\n',
            (),
            (),
            "TMP/policy.toml: scenarios.folders[0]: TMP/gone does not exist",
        ),
        (
            '[scenarios]\nfolders = "gone"\n',
            (),
            (),
            "TMP/policy.toml: scenarios.folders: must be an array, got a string",
        ),
        ('[scenarios]\ncriticality = "minor"\nfolders = ["ok"]\n', (), (), LOWERED),
    ],
)
def test_a_bad_folder_or_policy_is_a_usage_error(
    tmp_path: Path,
    policy: str | None,
    suites: tuple[str, ...],
    folders: tuple[str, ...],
    error: str,
) -> None:
    (tmp_path / "bad").mkdir()
    shutil.copytree(EXAMPLES, tmp_path / "ok")
    (tmp_path / "bad" / "bad.toml").write_text(
        '[scenario]\nruns = 0\nname = "b"\n[[turn]]\nsend = "x"\n', encoding="utf-8"
    )
    policy_file = None
    if policy is not None:
        policy_file = tmp_path / "policy.toml"
        policy_file.write_text(policy, encoding="utf-8")
    options = RunOptions(
        policy=policy_file,
        suites=suites,
        scenarios=tuple(f.replace("TMP", str(tmp_path)) for f in folders),
    )
    with pytest.raises(ConfigError) as caught:
        read_inputs(options)
    assert str(caught.value) == error.replace("TMP", str(tmp_path))
