"""The load suite's shape from the run's options, and one crowd run shared by its tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from harness.suite_api import (
    SHORT_WITHIN_S,
    WELCOME_KEY,
    ConfigError,
    Profile,
    Target,
    event_key,
    known_cause,
    load_profile,
    reply_key,
    shard_of,
    turn_shape,
)
from harness.suite_api import protocol as P
from suites.load.crowd import DEADLINE_MARGIN_S, Crowd, Shape, run_crowd
from suites.load.turn_crowd import TurnRuns

# The tests of the load phase over turns: for a target without chat-agent/1's requests.
OVER_TURNS = "test_load_turns.py"

# A wait for an ack of a user_message, or for a run's end, that timed out in an earlier
# test (harness/wire/pending.py's keys); a conversation then gets this long at most.
RUN_CAUSES = (
    reply_key(P.USER_MESSAGE),
    event_key([P.AGENT_STARTED]),
)
KNOWN_CAUSE_RUN_WITHIN_S = 1.0


def shape_of(config: pytest.Config) -> Shape:
    """The crowd the run's options ask for (`--harness-load-users`, ...); ConfigError if invalid."""
    users = int(config.getoption("harness_load_users"))
    shard = shard_of(config)
    shape = Shape(
        users=users,
        conversations=int(config.getoption("harness_load_conversations")),
        ramp_s=float(config.getoption("harness_load_ramp")),
        soak_s=float(config.getoption("harness_load_soak")),
        share=shard.portion(users) if shard is not None else None,
    )
    # What the run already knows the target never sends is not waited for again in full.
    if known_cause(config, WELCOME_KEY) is not None:
        shape = dataclasses.replace(shape, handshake_within_s=SHORT_WITHIN_S)
    if any(known_cause(config, key) is not None for key in RUN_CAUSES):
        shape = dataclasses.replace(shape, run_within_s=KNOWN_CAUSE_RUN_WITHIN_S)
    if shape.users < 1 or shape.conversations < 1 or shape.ramp_s < 0 or shape.soak_s < 0:
        raise ConfigError(f"load options out of range: {shape}")
    return shape


def over_turns(profile: Profile) -> bool:
    """The crowd asks for turns in the target's dialect: it lacks chat-agent/1's requests."""
    return "chat_requests" not in profile.capabilities


# Before the harness's own hook, which plans what is left (and writes the plan).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A target with chat-agent/1's requests runs its agent runs (test_load.py) and only
    # them: the tests over turns are no part of its run (their rules are verified by the
    # agent_events suite), so that its load phase and figures stay as they were.
    if not over_turns(load_profile(config.getoption("harness_profile", None))):
        dropped = [item for item in items if item.path.name == OVER_TURNS]
        if dropped:
            items[:] = [item for item in items if item.path.name != OVER_TURNS]
            config.hook.pytest_deselected(items=dropped)
    # The crowd stops by itself at its deadline; pytest-timeout's own (the ini's 120 s)
    # would cut a long soak short, so a load test's bound is the crowd's, plus a margin.
    deadline = shape_of(config).deadline_s + 2 * DEADLINE_MARGIN_S
    for item in items:
        if item.get_closest_marker("load") is not None:
            item.add_marker(pytest.mark.timeout(deadline))


@pytest.fixture(scope="module")
def crowd(request: pytest.FixtureRequest, target: Target) -> Iterator[Crowd]:
    """One crowd run, shared by the module's tests (each judges one side of it)."""
    config = request.config
    profile = target.profile
    runs = TurnRuns(turn_shape(profile)) if over_turns(profile) else None
    yield run_crowd(target, shape_of(config), config.getoption("harness_server_pid", None), runs)
