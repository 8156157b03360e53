"""A target the harness starts itself (`run --serve CMD`, the policy's `[serve]`).

The command runs in a shell, in a process group of its own, with `{port}` replaced by a
free port; its output (stdout and stderr) is kept, redacted, in a log file. It is ready
when a line of its output matches `ready_line`, else when `ready_url` answers HTTP, else
when its port accepts a TCP connection. It is stopped with SIGTERM to its whole group,
SIGKILL past `stop_timeout_s`. A process that exits while the run still needs it is
noticed at once (`on_exit`), so that the run can name it as the cause of what failed.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final
from urllib.parse import urlsplit

from harness.verdict.policy import ServePlan
from harness.wire.redaction import Redactor
from harness.wire.tokens import SECRET_ENV

PORT: Final = "{port}"
LOG_FILE: Final = "served.log"
PRIVATE_LOG_FILE: Final = "served-private.log"  # the shutdown test's own instances
# The environment variable that hands the serve plan to the pytest phases (the private
# target of the shutdown test starts a second instance of the same command).
SERVE_ENV: Final = "STABILITY_HARNESS_SERVE"
TAIL_LINES: Final = 10
# The cause-ledger key of a served process that exited during the run: every test that
# fails from then on names it (harness/run/plugin_hooks.py).
SERVED_EXIT: Final = "served-exit"
_POLL_S: Final = 0.05


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def with_port(text: str, port: int) -> str:
    """`text` with every `{port}` replaced by `port`."""
    return text.replace(PORT, str(port))


def exit_text(code: int) -> str:
    """How an exit code reads: `status 3`, or `signal SIGKILL` for a process killed."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
        return f"signal {-code}"
    return f"status {code}"


def plan_to_env(plan: ServePlan, target: str) -> str:
    """The plan and the target URL (with `{port}`) as the pytest phases read them back."""
    return json.dumps(
        {
            "target": target,
            "command": plan.command,
            "ready_url": plan.ready_url,
            "ready_line": plan.ready_line,
            "timeout_s": plan.timeout_s,
            "stop_timeout_s": plan.stop_timeout_s,
            "env": dict(plan.env),
        }
    )


def plan_from_env() -> tuple[ServePlan, str] | None:
    """The plan and target URL (with `{port}`) the runner handed to this process; None
    when the target is not served."""
    text = os.environ.get(SERVE_ENV)
    if not text:
        return None
    data = json.loads(text)
    return ServePlan(
        str(data["command"]),
        data.get("ready_url"),
        data.get("ready_line"),
        float(data["timeout_s"]),
        float(data["stop_timeout_s"]),
        {str(k): str(v) for k, v in data.get("env", {}).items()},
    ), str(data["target"])


class NotReady(Exception):
    """The served process exited or did not get ready in time; the message says which."""


class ServedProcess:
    """One process of the served command, on `port`, its output appended to `log`."""

    def __init__(
        self,
        plan: ServePlan,
        port: int,
        log: Path,
        *,
        secret: str | None,
        redactor: Redactor,
        on_exit: Callable[[ServedProcess], None] | None = None,
    ) -> None:
        self.plan = plan
        self.port = port
        self.command = with_port(plan.command, port)
        self._redactor = redactor
        self._on_exit = on_exit
        self._tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._ready_line = re.compile(plan.ready_line) if plan.ready_line else None
        self._saw_ready_line = threading.Event()
        self._stopping = False
        self.returncode: int | None = None
        self.stopped_in_s: float | None = None  # seconds from SIGTERM to exit; None: killed
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **plan.env}
        env.pop(SECRET_ENV, None)
        if secret is not None:
            env[SECRET_ENV] = secret  # the secret travels in the environment only
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = log.open("a", encoding="utf-8")
        self._log.write(f"$ {redactor.text(self.command)}\n")
        self._log.flush()
        self._process = subprocess.Popen(
            self.command,
            shell=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as a whole
            env=env,
        )
        assert self._process.stdout is not None
        self._reader = threading.Thread(
            target=self._read, args=(self._process.stdout,), name="served-output", daemon=True
        )
        self._reader.start()
        self._waiter = threading.Thread(target=self._wait, name="served-exit", daemon=True)
        self._waiter.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def tail(self) -> list[str]:
        """The last lines of its output (redacted)."""
        return list(self._tail)

    def tail_text(self) -> str:
        """The last lines of its output on one line, for a cause or a message."""
        lines = self.tail()
        return " | ".join(lines) if lines else "(no output)"

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = self._redactor.text(raw.decode("utf-8", "replace").rstrip("\r\n"))
            self._tail.append(line)
            with contextlib.suppress(ValueError):  # the log was closed by stop()
                self._log.write(line + "\n")
                self._log.flush()
            if self._ready_line is not None and self._ready_line.search(line):
                self._saw_ready_line.set()

    def _wait(self) -> None:
        self.returncode = self._process.wait()
        self._reader.join(2.0)  # its last lines, for whoever reads the tail now
        if not self._stopping and self._on_exit is not None:
            self._on_exit(self)

    def wait_ready(self) -> None:
        """Return once the process is ready; NotReady (a one-line cause) when it exits first
        or is not ready within the plan's timeout."""
        deadline = time.monotonic() + self.plan.timeout_s
        url = with_port(self.plan.ready_url, self.port) if self.plan.ready_url else None
        while True:
            code = self._process.poll()
            if code is not None:
                self._reader.join(2.0)
                raise NotReady(
                    f"the served command exited with {exit_text(code)} before it was ready; "
                    f"its last lines: {self.tail_text()}"
                )
            if self._ready():
                return
            left = deadline - time.monotonic()
            if left <= 0:
                what = (
                    f"no line matched {self.plan.ready_line!r}"
                    if self._ready_line is not None
                    else f"{url} did not answer"
                    if url
                    else f"port {self.port} did not accept a connection"
                )
                raise NotReady(
                    f"the served command was not ready within {self.plan.timeout_s:g} s "
                    f"({what}); its last lines: {self.tail_text()}"
                )
            time.sleep(min(_POLL_S if self._ready_line else 0.2, left))

    def _ready(self) -> bool:
        if self._ready_line is not None:
            return self._saw_ready_line.is_set()
        if self.plan.ready_url:
            return _answers(with_port(self.plan.ready_url, self.port))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> int:
        """SIGTERM to its process group, SIGKILL past the plan's deadline; its exit code."""
        self._stopping = True
        if self._process.poll() is None:
            started = time.monotonic()
            self._signal(signal.SIGTERM)
            try:
                self._process.wait(self.plan.stop_timeout_s)
                self.stopped_in_s = time.monotonic() - started
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._process.wait(self.plan.stop_timeout_s)
        self._signal(signal.SIGKILL)  # what it left behind in its group
        self._waiter.join(self.plan.stop_timeout_s)
        self.returncode = self._process.returncode
        self._log.close()
        return self.returncode

    def _signal(self, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)


def _answers(url: str) -> bool:
    """Whether `url` answers HTTP at all (any status: the server is up)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    try:
        with urllib.request.urlopen(url, timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
