"""The options of the harness's pytest plugin: what the runner passes to each pytest phase
(the target, its dialect, the output folder, the phase, the shard, the load's shape)."""

from __future__ import annotations

import argparse

import pytest


def add_options(parser: pytest.Parser) -> dict[str, object]:
    """Add the plugin's options (group `stability-harness`, every one named `--harness*`) to
    pytest's parser; return their defaults by destination."""
    group = parser.getgroup("stability-harness", "stability-harness target and results")
    group.addoption(
        "--harness",
        action="store_true",
        default=False,
        help="use the harness plugin in this session (implied by any other --harness-* "
        "option, or by an installed suite among the arguments)",
    )
    group.addoption(
        "--harness-target",
        default=None,  # the embedded reference server (plugin_hooks.target_url)
        metavar="URL|embedded",
        help="ws:// URL of the server to verify (default: embedded reference server)",
    )
    group.addoption(
        "--harness-defect",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a defect of the embedded reference server (repeatable)",
    )
    group.addoption(
        "--harness-liberal",
        type=int,
        default=None,
        metavar="SEED",
        help="the embedded reference server takes the protocol's freedoms, chosen by SEED",
    )
    group.addoption(
        "--harness-jwt-secret",
        default=None,
        metavar="SECRET",
        help="HS256 secret used to mint tokens for synthetic users",
    )
    group.addoption(
        "--harness-token",
        action="append",
        default=[],
        metavar="USER=JWT",
        help="a ready-made token for a remote target (repeatable)",
    )
    group.addoption(
        "--harness-converter",
        default=None,
        metavar="MODULE:FUNCTION",
        help="timestamp converter to verify in-process",
    )
    group.addoption(
        "--harness-out",
        default=None,
        metavar="DIR",
        help="append each finished test to DIR/results.jsonl",
    )
    group.addoption(
        "--harness-long-waits",
        action="store_true",
        default=False,
        help="also plan the tests that wait out a protocol period (the 60 s rate window)",
    )
    group.addoption("--harness-phase", default="1", help=argparse.SUPPRESS)
    group.addoption(
        "--harness-profile",
        default=None,
        metavar="NAME|FILE",
        help="the target's dialect: a built-in profile (chat-agent/1, netra-2025-09) or a file",
    )
    # Set by the runner: the --harness-target URL is the run's embedded reference server
    # (--harness-defect on).
    group.addoption("--harness-embedded", action="store_true", help=argparse.SUPPRESS)
    group.addoption(
        "--harness-replay-capture",
        action="append",
        default=[],
        metavar="FILE|DIR",
        help="a capture (or a folder of *.jsonl captures) the replays suite replays (repeatable)",
    )
    group.addoption(
        "--harness-replay-only",
        action="store_true",
        help="replay only the --harness-replay-capture files, not the built-in captures",
    )
    group.addoption(
        "--harness-replay-pacing",
        default="causal",
        choices=("causal", "timed"),
        help="causal (default): wait for the recorded replies; timed: keep the recorded gaps",
    )
    group.addoption(
        "--harness-replay-speed",
        default=1.0,
        type=float,
        help="timed pacing: divide the recorded gaps",
    )
    group.addoption(
        "--harness-scenarios",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of *.toml scenarios (or one file) the scenarios suite plays (repeatable)",
    )
    # Read through harness.run.shard.shard_of(config): the load phase runs its share of users.
    group.addoption(
        "--harness-shard",
        default=None,
        metavar="I/N",
        help="run only shard I of N of the planned tests (every_shard tests: their share)",
    )
    group.addoption("--harness-shard-durations", default=None, help=argparse.SUPPRESS)
    # The load options' defaults are the default policy's load plan, filled in by
    # fill_load_defaults once the session asks for the harness (an idle session never
    # imports the verdict part).
    group.addoption("--harness-load-users", type=int, help="load phase: concurrent users")
    group.addoption(
        "--harness-load-conversations",
        type=int,
        help="load phase: conversations (agent runs) each user holds in turn",
    )
    group.addoption(
        "--harness-load-ramp", type=float, help="load phase: seconds over which the users connect"
    )
    group.addoption(
        "--harness-load-soak",
        type=float,
        help="load phase: keep the users conversing for this many seconds (0: no soak)",
    )
    # Set by the runner: the embedded server's process id (the load phase reads its RSS).
    group.addoption("--harness-server-pid", type=int, default=None, help=argparse.SUPPRESS)
    return {option.dest: option.default for option in group.options}


def fill_load_defaults(config: pytest.Config) -> None:
    """Give each --harness-load-* option left unset the default policy's value."""
    from harness.verdict.policy import LoadPlan  # lazily: an idle session never needs it

    load = LoadPlan()
    defaults = {
        "harness_load_users": load.users,
        "harness_load_conversations": load.conversations,
        "harness_load_ramp": load.ramp_s,
        "harness_load_soak": load.soak_s,
    }
    for dest, value in defaults.items():
        if config.getoption(dest, None) is None:
            setattr(config.option, dest, value)
