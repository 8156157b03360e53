"""The options of the harness's pytest plugin: what the runner passes to each pytest phase
(the target, its dialect, the output folder, the phase, the shard, the load's shape)."""

from __future__ import annotations

import argparse

import pytest

from harness.wire.target import EMBEDDED


def add_options(parser: pytest.Parser) -> None:
    """Add the plugin's options (group `stability-harness`) to pytest's parser."""
    group = parser.getgroup("stability-harness", "stability-harness target and results")
    group.addoption(
        "--harness-target",
        default=EMBEDDED,
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
    # Read through harness.run.shard.shard_of(config): the load phase runs its share of users.
    group.addoption(
        "--harness-shard",
        default=None,
        metavar="I/N",
        help="run only shard I of N of the planned tests (every_shard tests: their share)",
    )
    group.addoption("--harness-shard-durations", default=None, help=argparse.SUPPRESS)
    from harness.verdict.policy import LoadPlan

    load = LoadPlan()
    group.addoption(
        "--harness-load-users", type=int, default=load.users, help="load phase: concurrent users"
    )
    group.addoption(
        "--harness-load-conversations",
        type=int,
        default=load.conversations,
        help="load phase: conversations (agent runs) each user holds in turn",
    )
    group.addoption(
        "--harness-load-ramp",
        type=float,
        default=load.ramp_s,
        help="load phase: seconds over which the users connect",
    )
    group.addoption(
        "--harness-load-soak",
        type=float,
        default=load.soak_s,
        help="load phase: keep the users conversing for this many seconds (0: no soak)",
    )
    # Set by the runner: the embedded server's process id (the load phase reads its RSS).
    group.addoption("--harness-server-pid", type=int, default=None, help=argparse.SUPPRESS)
