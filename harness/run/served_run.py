"""A run whose target the harness starts (`run --serve`): the process, its death, its log.

`served_target` starts the command on a free port (harness/run/served.py), waits until it
is ready and yields it as the run's `Target`; when the process exits while the run still
needs it, a cause `served-exit` goes into the run's cause ledger at once, so that every
test failing from then on names it (harness/run/plugin_hooks.py), and `died` turns the
exit into the run error that makes the run NOT_APPROVED, with the exit status and the
process's last lines as evidence.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from harness.run.inputs import RunInputs
from harness.run.served import (
    LOG_FILE,
    SERVE_ENV,
    SERVED_EXIT,
    ServedProcess,
    exit_text,
    free_port,
    plan_to_env,
    with_port,
)
from harness.verdict.records import RunError
from harness.wire.causes import LEDGER_FILE, Cause, CauseLedger
from harness.wire.redaction import Redactor
from harness.wire.target import Target

# The run error's causes: a served command that was not ready, one that exited.
SERVED_NOT_READY: Final = "served_not_ready"
SERVED_EXITED: Final = "served_exit"
SERVED_PROCESS: Final = "the served process"


def exit_message(process: ServedProcess) -> str:
    """The one-line cause of a served process that exited on its own."""
    code = process.returncode if process.returncode is not None else -1
    return f"the served process exited with {exit_text(code)} during the run"


def died(process: ServedProcess | None) -> RunError | None:
    """The run error of a served process that exited before the run stopped it; else None."""
    if process is None or process.returncode is None:
        return None
    return RunError(
        SERVED_EXITED, f"{exit_message(process)}; its last lines: {process.tail_text()}"
    )


def served_environment(inputs: RunInputs) -> dict[str, str]:
    """What the pytest phases need to start a private instance of the served command."""
    if inputs.serve is None:
        return {}
    return {SERVE_ENV: plan_to_env(inputs.serve, inputs.options.target)}


@contextmanager
def served_target(inputs: RunInputs, out: Path) -> Iterator[tuple[Target, ServedProcess]]:
    """Start the served command, wait until it is ready, yield it as the target; stop it
    at the end (SIGTERM to its process group, SIGKILL past the plan's stop deadline).

    NotReady (harness/run/served.py) when it exits first or is not ready in time.
    """
    plan, options = inputs.serve, inputs.options
    assert plan is not None
    # The served server checks the tokens the harness mints: a secret both share, unless
    # the user brought ready-made tokens.
    secret = options.jwt_secret or (None if inputs.tokens else secrets.token_urlsafe(24))
    redactor = Redactor(secret, [user.token for user in inputs.tokens])
    ledger = CauseLedger(out / LEDGER_FILE)

    def on_exit(process: ServedProcess) -> None:
        ledger.record(Cause(SERVED_EXIT, SERVED_PROCESS, exit_message(process)))

    port = free_port()
    process = ServedProcess(
        plan, port, out / LOG_FILE, secret=secret, redactor=redactor, on_exit=on_exit
    )
    try:
        process.wait_ready()
        target = Target.from_url(
            with_port(options.target, port),
            secret=secret,
            tokens=inputs.tokens,
            profile=inputs.profile,
        )
        yield target, process
    finally:
        process.stop()
