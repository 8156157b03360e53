"""Ways to run a reference server beside the caller: in a daemon thread or in a subprocess."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from types import TracebackType
from typing import IO, Final

from harness.errors import HarnessError
from harness.reference.config import ServerConfig
from harness.reference.server import ReferenceServer
from harness.wire.tokens import SECRET_ENV

_PRINTED_KEYS: Final = ("url", "http", "user", "token", "defects", "profile")


class ThreadedServer:
    """A ReferenceServer on its own event loop in a daemon thread."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.server = ReferenceServer(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="reference-server", daemon=True)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def ws_url(self) -> str:
        return self.server.ws_url

    @property
    def http_url(self) -> str:
        return self.server.http_url

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def start(self, within: float = 10.0) -> None:
        """Start the thread and the server; returns once listening."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.server.start(), self._loop)
        try:
            future.result(within)
        except TimeoutError:
            self._loop.call_soon_threadsafe(self._loop.stop)
            raise HarnessError(f"the reference server did not start within {within} s") from None

    def stop(self, within: float = 10.0) -> None:
        """Close every client with 1001, stop the loop and join the thread."""
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop)
        try:
            future.result(within)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(within)

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_thread(config: ServerConfig, *, within: float = 10.0) -> ThreadedServer:
    """A reference server running in a daemon thread, already listening."""
    threaded = ThreadedServer(config)
    threaded.start(within)
    return threaded


def serve_command(config: ServerConfig) -> list[str]:
    """The `python -m harness.reference` command line that runs `config`."""
    command = [
        sys.executable,
        "-m",
        "harness.reference",
        "--host",
        config.host,
        "--port",
        str(config.port),
        "--think-ms",
        repr(config.think_ms),
        "--tool-ms",
        repr(config.tool_ms),
        "--rate-limit",
        str(config.rate_limit),
        "--max-bytes",
        str(config.max_bytes),
        "--max-connections-per-user",
        str(config.max_connections_per_user),
        f"--profile={config.profile}",
        f"--seed={config.seed}",
    ]
    for defect in sorted(config.defects):
        command += ["--defect", defect]
    if config.liberal is not None:
        command.append(f"--liberal={config.liberal}")
    for text in config.before_welcome:
        command.append(f"--send-before-welcome={text}")
    return command


class SubprocessServer:
    """A reference server in a child process (`python -m harness.reference`)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._stderr = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (closed in __exit__)
        self._process = subprocess.Popen(
            serve_command(config),
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            # The secret travels in the environment, never on the command line.
            env={**os.environ, "PYTHONUNBUFFERED": "1", SECRET_ENV: config.jwt_secret},
        )
        self.printed: dict[str, str] = {}
        self.returncode: int | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def ws_url(self) -> str:
        return self.printed["url"]

    @property
    def http_url(self) -> str:
        return self.printed["http"]

    @property
    def token(self) -> str:
        """The demo user's token that the server printed."""
        return self.printed["token"]

    @property
    def port(self) -> int:
        return int(self.http_url.rsplit(":", 1)[1])

    def wait_listening(self, within: float) -> None:
        """Read the lines the server prints once listening; HarnessError past the deadline."""
        assert self._process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(
            target=_read_lines, args=(self._process.stdout, lines), daemon=True
        )
        reader.start()
        deadline = time.monotonic() + within
        while any(key not in self.printed for key in _PRINTED_KEYS):
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._abandon(f"did not print its URL within {within} s")
            if line is None:
                self._abandon(f"exited with code {self._process.wait(within)} before listening")
            assert line is not None
            key, _, value = line.rstrip("\n").partition(": ")
            if key in _PRINTED_KEYS:
                self.printed[key] = value

    def _abandon(self, why: str) -> None:
        self.stop(within=5.0)
        self._stderr.seek(0)
        tail = self._stderr.read()[-2000:].decode("utf-8", "replace").strip()
        raise HarnessError(f"the reference server subprocess {why}" + (f": {tail}" if tail else ""))

    def stop(self, within: float = 10.0) -> int:
        """SIGTERM (clients get 1001), then kill past the deadline; the exit code."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(within)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(within)
        self.returncode = self._process.returncode
        if self._process.stdout is not None:
            self._process.stdout.close()
        return self.returncode

    def __enter__(self) -> SubprocessServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self._stderr.close()


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Forward each line of the child's stdout; None at end of file."""
    try:
        for line in stream:
            lines.put(line)
    except ValueError:  # the stream was closed by stop()
        pass
    lines.put(None)


def start_subprocess(config: ServerConfig, *, within: float = 10.0) -> SubprocessServer:
    """A reference server in a child process, already listening (its printed URL read)."""
    server = SubprocessServer(config)
    server.wait_listening(within)
    return server
