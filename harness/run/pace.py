"""The target's pace: how long one agent run takes, and the workers `-n auto` starts for it.

The suite phase mostly waits on the target: a test sends a request and waits for
the run's events. With a fast target two xdist workers per CPU keep the CPUs
busy; with a target whose runs take a second or more (a slow but correct server,
or a real agent calling a model) they would sit idle while the run takes many
times as long. So before the suites start, `-n auto` times one agent run of a
fresh synthetic user and starts more workers the slower the run was, up to
MAX_WORKERS_PER_CPU per CPU. The probe is bounded (PROBE_WITHIN_S) and never
judges: a target that fails it is left to the suites, at the default count.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from typing import Final

from harness.errors import CheckFailed, HarnessError
from harness.wire.client import User
from harness.wire.connect import open_client
from harness.wire.target import Target, UserFactory
from harness.wire.transcript import Transcript
from harness.wire.turn_driver import TurnDriver
from harness.wire.turn_shape import shape_of

WORKERS_PER_CPU: Final = 2  # for a target whose runs take at most FAST_RUN_S
MAX_WORKERS_PER_CPU: Final = 8
FAST_RUN_S: Final = 0.25
PROBE_WITHIN_S: Final = 3.0
PROBE_REQUEST: Final = "What is 2+3?"


def auto_workers(run_s: float | None, cpus: int | None = None) -> int:
    """The workers `-n auto` starts for a target whose agent run took `run_s` (None: unknown).

    Two per CPU up to FAST_RUN_S, then in proportion to the run's time: a run of
    0.5 s gets four per CPU, one of 1 s or more the maximum.
    """
    cpus = cpus or os.cpu_count() or 1
    per_cpu = WORKERS_PER_CPU
    if run_s is not None and run_s > FAST_RUN_S:
        per_cpu = min(MAX_WORKERS_PER_CPU, math.ceil(WORKERS_PER_CPU * run_s / FAST_RUN_S))
    return per_cpu * cpus


def probe(target: Target, *, within: float = PROBE_WITHIN_S) -> float | None:
    """Seconds from asking for a turn to its terminal for a fresh user.

    None when the harness cannot mint a fresh user (only `--token` users: the probe
    must not add a run to a user a test counts) or the target does not run the
    request (an error, a close); `within` when the run did not end in time.
    """
    if target.secret is None and target.profile.auth["tokens"]["source"] not in ("command", "none"):
        return None
    try:
        user = UserFactory(target).new("pace")
    except HarnessError:
        return None
    return asyncio.run(_time_run(target, user, within))


async def _time_run(target: Target, user: User, within: float) -> float | None:
    deadline = time.monotonic() + within
    try:
        client = await open_client(
            target.ws_url, user, Transcript(), within=within, profile=target.profile
        )
    except (CheckFailed, HarnessError, OSError):
        return None
    try:
        started = time.monotonic()
        # One turn asked for in the target's own requests (docs/TURNS.md).
        driver = TurnDriver(client, shape_of(target.profile))
        taken = await driver.take(PROBE_REQUEST, within=deadline - started)
        if taken.turn is None:
            return None
        return time.monotonic() - started
    except CheckFailed:
        return within if time.monotonic() >= deadline else None
    except (HarnessError, OSError):
        return None
    finally:
        await client.close()
