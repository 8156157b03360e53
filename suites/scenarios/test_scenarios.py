"""One test per scenario file of the folders given with --harness-scenarios (none: no test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.suite_api import (
    CheckFailed,
    Connect,
    Scenario,
    load_scenario_folders,
    play_scenario,
    rules,
)

pytestmark = pytest.mark.asyncio


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "scenario" not in metafunc.fixturenames:
        return
    folders = [Path(f) for f in metafunc.config.getoption("harness_scenarios", [])]
    scenarios = load_scenario_folders(folders)
    metafunc.parametrize("scenario", [pytest.param(s, id=s.name) for s in scenarios])


@rules("6.close.never-1011")
async def test_scenario(
    scenario: Scenario, connect: Connect, request: pytest.FixtureRequest
) -> None:
    """At least min_pass of the scenario's runs pass every check of every turn."""
    outcome = await play_scenario(scenario, connect)
    # k of n and each failing run's turn, check and frames, for the verdict's scenarios.
    request.node.user_properties.append(("harness_scenario", outcome.to_json()))
    if not outcome.passed:
        failed = next(run for run in outcome.runs if run is not None)
        raise CheckFailed(
            f"scenario {scenario.name}: {outcome.summary()}",
            expected=f"at least {scenario.min_pass} of {scenario.runs} runs passing",
            observed=f"{outcome.passed_runs} of {scenario.runs}",
            frames=[dict(f.frame) for f in failed.frames],
        )
