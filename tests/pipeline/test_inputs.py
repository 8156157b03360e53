"""A run's inputs are read once into one frozen record (harness/run/inputs.py)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from harness.run.context import environment
from harness.run.inputs import read_inputs
from harness.run.options import RunOptions
from harness.run.phases import shard_durations
from harness.run.shard import Shard

RENAMED = Path(__file__).parents[1] / "e2e" / "profiles" / "renamed.toml"


def test_the_record_refuses_mutation(tmp_path: Path) -> None:
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({"agent_events::a": 1.5}), "utf-8")
    inputs = read_inputs(RunOptions(shard="2/3", shard_durations=durations))
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.policy = inputs.policy  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.options.workers = "4"  # type: ignore[misc]
    with pytest.raises(TypeError):
        inputs.durations["agent_events::b"] = 2.0  # type: ignore[index]
    assert inputs.shard == Shard(2, 3)


def test_the_policy_defaults_are_filled_in_once() -> None:
    inputs = read_inputs(RunOptions(users=7))
    assert inputs.options.users == 7
    assert inputs.options.conversations == 2
    assert inputs.options.ramp == 2.0
    assert inputs.options.reruns == 1  # the built-in policy (docs/POLICY.md)


def test_no_step_reads_an_input_file_again(tmp_path: Path) -> None:
    profile = tmp_path / "renamed.toml"
    shutil.copy(RENAMED, profile)
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({"agent_events::a": 1.5}), "utf-8")
    inputs = read_inputs(
        RunOptions(
            profile=str(profile), shard="1/2", shard_durations=durations, faults=("latency=5",)
        )
    )
    profile.unlink()
    durations.unlink()
    env = environment(inputs)
    assert env["profile"]["name"] == "renamed-test"
    assert env["faults"] == {"latency": 5.0}
    assert env["shards"]["index"] == 1
    assert env["shards"]["of"] == 2
    out = tmp_path / "out"
    out.mkdir()
    table = json.loads(shard_durations(inputs, out).read_text("utf-8"))
    assert table == {"source": "file durations.json", "durations": {"agent_events::a": 1.5}}
