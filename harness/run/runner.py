"""`stability-harness run`: start or reach the target, preflight, run the suites, judge, report."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console

from harness.errors import ConfigError, HarnessError
from harness.faults.proxy import running
from harness.run.clock import iso, new_run_id, utc_now
from harness.run.context import RunContext
from harness.run.inputs import RunInputs, read_inputs
from harness.run.interruption import Interrupted, interruptible
from harness.run.options import RunOptions
from harness.run.phases import run_phases
from harness.run.preflight import preflight
from harness.run.process_usage import Sampler
from harness.run.recovery import write_start
from harness.run.served import NotReady, ServedProcess
from harness.run.served_run import SERVED_NOT_READY, died, served_environment, served_target
from harness.verdict.records import RunError
from harness.wire.target import Target, http_url_for
from harness.wire.tokens import SECRET_ENV, TOKENS_ENV

SERVER_PID = "--harness-server-pid="  # a target the harness started: the load phase reads it


@contextmanager
def start_target(
    inputs: RunInputs, out: Path, served: list[ServedProcess]
) -> Iterator[tuple[Target, list[str]]]:
    """The target to verify and the pytest options that point the suites at it.

    With --serve (or the policy's [serve]) the harness starts the target itself and
    appends its process to `served`. With `--fault`, a fault-injecting proxy on 127.0.0.1
    stands between the harness and the target, and the suites (and preflight) talk to it.
    """
    with _reach_target(inputs, out, served) as (target, args):
        if inputs.faults is None:
            yield target, args
            return
        parts = urlsplit(target.ws_url)
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        with running(parts.hostname or "127.0.0.1", port, inputs.faults) as local:
            via = urlunsplit((parts.scheme, f"127.0.0.1:{local}", parts.path, "", ""))
            proxied = dataclasses.replace(target, ws_url=via, http_url=http_url_for(via))
            yield (
                proxied,
                [
                    f"--harness-target={via}" if a.startswith("--harness-target=") else a
                    for a in args
                ],
            )


@contextmanager
def _reach_target(
    inputs: RunInputs, out: Path, served: list[ServedProcess]
) -> Iterator[tuple[Target, list[str]]]:
    options, profile, spec = inputs.options, inputs.profile, inputs.profile_spec
    if inputs.serve is not None:
        with served_target(inputs, out) as (target, process):
            served.append(process)
            yield (
                target,
                [
                    f"--harness-target={target.ws_url}",
                    f"--harness-profile={spec}",
                    f"{SERVER_PID}{process.pid}",  # the load phase reads its RSS
                ],
            )
        return
    if inputs.embedded:
        from harness.reference.defects import resolve_defects
        from harness.reference.dialect import family_of
        from harness.run.embedded import embedded_target

        defects = resolve_defects(options.defects, family_of(profile))
        secret = options.jwt_secret or secrets.token_urlsafe(24)
        liberal = options.liberal
        with embedded_target(secret, defects, spec, profile, liberal) as (target, pid):
            args = [
                f"--harness-target={target.ws_url}",
                f"--harness-profile={spec}",
                "--harness-embedded",
            ]
            args.append(f"{SERVER_PID}{pid}")  # the load phase reads its RSS
            if liberal is not None:
                args.append(f"--harness-liberal={liberal}")
            yield target, args + [f"--harness-defect={name}" for name in sorted(defects)]
        return
    target = Target.from_url(
        options.target,
        secret=options.jwt_secret,
        tokens=inputs.tokens,
        profile=profile,
    )
    yield target, [f"--harness-target={target.ws_url}", f"--harness-profile={spec}"]


def _sampler(target_args: list[str]) -> Sampler | None:
    """The RSS and CPU sampler of a target the harness started (its pid is in its args)."""
    for arg in target_args:
        if arg.startswith(SERVER_PID):
            return Sampler(int(arg.removeprefix(SERVER_PID)))
    return None


def secret_environment(target: Target) -> dict[str, str]:
    """The secrets the pytest phases need, as environment variables (never on a command line)."""
    env = {}
    if target.secret is not None:
        env[SECRET_ENV] = target.secret
    if target.tokens:
        env[TOKENS_ENV] = "\n".join(f"{user.id}={user.token}" for user in target.tokens)
    return env


def execute(options: RunOptions, console: Console) -> int:
    """Run the whole job; return the exit code. Every run that gets an output folder is judged."""
    inputs = read_inputs(options)
    options = inputs.options
    started = utc_now()
    run = RunContext(inputs, started, new_run_id(started))
    run.out.mkdir(parents=True, exist_ok=True)
    write_start(run.out, run.run_id, iso(started), options)
    # A soak lasts as long as it is asked to: --max-duration bounds the rest of the run.
    deadline = time.monotonic() + options.max_duration + (options.soak or 0.0)
    early: RunError | None = None
    served: list[ServedProcess] = []
    try:
        with interruptible(), start_target(inputs, run.out, served) as (target, target_args):
            run.target = target
            sampler = _sampler(target_args)
            try:
                early = preflight(target)
                if early is None:
                    run.errors += run_phases(
                        run.paced(target),
                        target_args,
                        run.out,
                        deadline,
                        console,
                        secret_environment(target) | served_environment(inputs),
                    )
            finally:
                run.target_process = sampler.stop() if sampler is not None else None
            gone = died(served[0] if served else None)
            if gone is not None:  # exited on its own: a failure of the target, not of a test
                run.errors.append(gone)
    except ConfigError:
        raise
    except NotReady as exc:
        return run.finish(console, early=RunError(SERVED_NOT_READY, str(exc)))
    except Interrupted as stop:
        # The phase's process group is stopped by now; the report says what never ran.
        elapsed = options.max_duration - (deadline - time.monotonic())
        cause = RunError("interrupted", f"{stop.signal_name} after {elapsed:.1f} s")
        return run.finish(console, early=cause)
    except Exception as exc:
        cause = RunError("internal", f"harness error: {type(exc).__name__}: {exc}")
        run.finish(console, early=cause)
        raise HarnessInternalError(cause.message) from exc
    # Judged and rendered once the target has stopped: nothing else runs beside it.
    return run.finish(console, early=early)


class HarnessInternalError(HarnessError):
    """The harness crashed during a run: exit code 3, after writing an INCOMPLETE verdict."""
