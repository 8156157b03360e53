"""`stability-harness replay`: replay captures against a target, judged per frame."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from harness.commands._run_options import add_target_arguments, start, target_options
from harness.errors import ConfigError

HELP = "replay captures against a target, judged per frame"
SUITE = "replays"  # the suite that replays the captures


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The captures, the target options, --pacing and --speed."""
    parser.add_argument("captures", nargs="+", type=Path, metavar="FILE")
    add_target_arguments(parser)
    parser.add_argument(
        "--pacing",
        choices=("causal", "timed"),
        default="causal",
        help="causal (default): send once the recorded replies arrived; timed: recorded gaps",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, metavar="X", help="timed pacing: X times faster"
    )


def run(args: argparse.Namespace) -> int:
    """Replay the captures as a run of the replays suite alone (no history); its exit code."""
    options = dataclasses.replace(
        target_options(args),
        suites=(SUITE,),
        history=None,
        extra_pytest_args=replay_arguments(
            args.captures, args.pacing, args.speed, args.profile or "chat-agent/1"
        ),
    )
    return start(options)


def replay_arguments(
    captures: Sequence[Path], pacing: str, speed: float, profile: str = "chat-agent/1"
) -> tuple[str, ...]:
    """The pytest options that make the replays suite replay only `captures` (validated now:
    each must be recorded over the transport `profile` speaks)."""
    from harness.replay.capture import load_capture
    from harness.replay.opening import check_transport
    from harness.wire.profile import load_profile

    spoken = load_profile(profile)

    if not speed > 0:
        raise ConfigError(f"--speed {speed:g}: expected a positive number")
    extra = ["--harness-replay-only", f"--harness-replay-pacing={pacing}"]
    extra.append(f"--harness-replay-speed={speed}")
    for path in captures:
        # A bad capture is a usage error before anything starts.
        check_transport(load_capture(path), spoken)
        extra.append(f"--harness-replay-capture={path.resolve()}")
    return tuple(extra)
