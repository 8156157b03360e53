"""The load suite's shape from the run's options, and one crowd run shared by its tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from harness.suite_api import (
    SHORT_WITHIN_S,
    WELCOME_KEY,
    ConfigError,
    Target,
    event_key,
    known_cause,
    reply_key,
    shard_of,
)
from harness.suite_api import protocol as P
from suites.load.crowd import DEADLINE_MARGIN_S, Crowd, Shape, run_crowd

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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
    yield run_crowd(target, shape_of(config), config.getoption("harness_server_pid", None))
