"""The harness plugin's fixtures (target, connect, users, transcript, ...), registered by
harness.run.plugin only when a session asks for the harness; each does work only when a
test asks for it."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from harness.errors import CapabilityMissing, CheckFailed, Deviation, HarnessError
from harness.run.checks import Checks
from harness.run.fixture_types import Connect
from harness.run.plugin_hooks import (
    CONVERTER,
    PROFILE,
    TRANSCRIPT,
    cause_watch,
    checks_of,
    embedded,
    secret_of,
    spec_of,
    target_url,
    token_pairs,
)
from harness.run.selection import NO_PRIVATE_TARGET
from harness.run.served import (
    PRIVATE_LOG_FILE,
    NotReady,
    ServedProcess,
    free_port,
    plan_from_env,
    with_port,
)
from harness.verdict.policy import ServePlan
from harness.wire.causes import CauseWatch
from harness.wire.http import HttpClient
from harness.wire.pending import DECLARED_CODES
from harness.wire.protocol import CLOSE_INTERNAL_ERROR
from harness.wire.redaction import Redactor
from harness.wire.target import EMBEDDED, Target, UserFactory, parse_tokens
from harness.wire.transcript import Transcript


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The server under verification (the embedded reference server unless --target is a URL)."""
    config = request.config
    url = target_url(config)
    profile = config.stash[PROFILE]
    if url == EMBEDDED:
        from harness.reference.defects import resolve_defects
        from harness.reference.dialect import family_of
        from harness.run.embedded import embedded_target

        secret = secret_of(config) or secrets.token_urlsafe(24)
        defects = resolve_defects(config.getoption("harness_defect"), family_of(profile))
        liberal = config.getoption("harness_liberal")
        with embedded_target(secret, defects, spec_of(config), profile, liberal) as (started, _):
            yield started
        return
    if embedded(config):
        from harness.reference.defects import resolve_defects
        from harness.reference.dialect import family_of

        defects = resolve_defects(config.getoption("harness_defect"), family_of(profile))
        yield Target.from_url(
            url,
            secret=secret_of(config),
            kind=EMBEDDED,
            defects=defects,
            profile=profile,
            liberal=config.getoption("harness_liberal"),
        )
        return
    yield Target.from_url(
        url,
        secret=secret_of(config),
        tokens=parse_tokens(token_pairs(config)),
        profile=profile,
    )


class PrivateTarget:
    """The `private_target` fixture: an instance of the target for one test only."""

    def __init__(self, server: Any, target: Target) -> None:
        self.target = target
        self._server = server
        self.stopped_in_s: float | None = None

    async def stop(self) -> None:
        """Shut the instance down as its operator would (SIGTERM), its clients still open;
        `stopped_in_s` says how long its process took to exit (None: it had to be killed)."""
        self.stopped_in_s = await asyncio.to_thread(self._stop)

    def _stop(self) -> float | None:
        started = time.monotonic()
        code = self._server.stop()
        if isinstance(self._server, ServedProcess):
            return self._server.stopped_in_s
        return time.monotonic() - started if code != -signal.SIGKILL else None


@pytest.fixture
def private_target(request: pytest.FixtureRequest, target: Target) -> Iterator[PrivateTarget]:
    """A freshly started instance of the target the harness starts (the embedded one: its
    defects, its secret; a served one: a second process of its command on another free
    port), stopped at teardown unless the test stopped it; tests that use it are marked
    `requires_private_target`, since a remote target cannot be started by the harness."""
    served = plan_from_env()
    if served is not None:
        yield from _served_instance(request.config, target, *served)
        return
    if target.kind != EMBEDDED or target.secret is None:
        raise CapabilityMissing(f"a private target needs the embedded target: {NO_PRIVATE_TARGET}")
    from harness.reference import ServerConfig, start_subprocess

    spec = target.profile.source if target.profile.source != "built-in" else target.profile.name
    config = ServerConfig(
        jwt_secret=target.secret, defects=target.defects, profile=spec, liberal=target.liberal
    )
    with start_subprocess(config) as server:
        yield PrivateTarget(
            server,
            Target.from_url(
                server.ws_url,
                secret=target.secret,
                kind=EMBEDDED,
                defects=target.defects,
                profile=target.profile,
            ),
        )


def _served_instance(
    config: pytest.Config, target: Target, plan: ServePlan, url: str
) -> Iterator[PrivateTarget]:
    """A second process of the served command, its output in `served-private.log`."""
    out = config.getoption("harness_out", None)
    log = Path(out) / PRIVATE_LOG_FILE if out else Path(os.devnull)
    port = free_port()
    redactor = Redactor(target.secret, [user.token for user in target.tokens])
    process = ServedProcess(plan, port, log, secret=target.secret, redactor=redactor)
    try:
        try:
            process.wait_ready()
        except NotReady as exc:
            raise HarnessError(f"the private instance of the served command: {exc}") from None
        yield PrivateTarget(
            process,
            Target.from_url(
                with_port(url, port),
                secret=target.secret,
                tokens=target.tokens,
                profile=target.profile,
            ),
        )
    finally:
        process.stop()


@pytest.fixture
def transcript(request: pytest.FixtureRequest) -> Transcript:
    """This test's frame transcript (attached to its report when it fails)."""
    recorded = Transcript()
    request.node.stash[TRANSCRIPT] = recorded
    return recorded


@pytest.fixture
def users(target: Target) -> UserFactory:
    """Fresh synthetic users and crafted tokens for this test."""
    return UserFactory(target)


@pytest_asyncio.fixture
async def connect(
    request: pytest.FixtureRequest, target: Target, users: UserFactory, transcript: Transcript
) -> AsyncIterator[Connect]:
    """An async factory of authenticated `Client`s; all are closed at teardown.

    At teardown the test fails if any of its connections was closed by the server
    with 1011 or ended without a close frame from the server (PROTOCOL.md section 6),
    wherever that happened, even after the test's last check.
    """
    from harness.wire.client import Client, User
    from harness.wire.connect import open_client

    clients: list[Client] = []
    watch = cause_watch(request.node)
    guard = checks_of(request.node)

    async def factory(user: User | None = None, **options: Any) -> Client:
        if user is None and options.get("token") is None and options.get("transport") != "none":
            user = users.new()
        options.setdefault("causes", watch)
        options.setdefault("profile", target.profile)
        client = await open_client(target.ws_url, user, transcript, **options)
        client.checks = guard
        clients.append(client)
        return client

    yield factory
    # Closing with 1000 first: the server's close frame, sent before or in reply to ours,
    # comes after every frame it sent before, so no extra wait is needed to see a 1011.
    await asyncio.gather(*(client.close() for client in clients))
    ended = [(client.conn, client.end_failure()) for client in clients]
    failures = [f"connection {conn}: {failure}" for conn, failure in ended if failure]
    # A close code the profile does not declare (1011 has its own rule, above).
    declared = set(target.profile.section("capabilities")["close_codes"])
    undeclared = [
        f"connection {client.conn}: closed with {client.close_code}, a code the profile "
        f"does not declare ({', '.join(map(str, sorted(declared)))})"
        for client in clients
        if client.close_code not in (None, CLOSE_INTERNAL_ERROR, *declared)
    ]
    if failures or undeclared:
        raise CheckFailed(
            "the test's connections at its end",
            expected="no close 1011, a close frame from the server on every closed connection "
            "and only the close codes the profile declares",
            observed="; ".join(failures + undeclared),
            frames=transcript.export(),
            deviation=None
            if failures
            else Deviation(
                "close:undeclared", "a close code the profile does not declare", (DECLARED_CODES,)
            ),
        )


@pytest.fixture
def checks(request: pytest.FixtureRequest) -> Checks:
    """Which of this test's rules the target's profile lets it check (`checks.applies`)."""
    return checks_of(request.node)


@pytest.fixture
def causes(request: pytest.FixtureRequest) -> CauseWatch:
    """The run's cause ledger as this test sees it, for a suite's own bounded waits."""
    return cause_watch(request.node)


@pytest.fixture
def http(target: Target, transcript: Transcript) -> HttpClient:
    """GETs on the target's HTTP routes (`/health`, `/stats`)."""
    return HttpClient(target.http_url, transcript, target.profile)


class MetricSink:
    """The `metrics` fixture: samples kept with the test's result."""

    def __init__(self, item: pytest.Item) -> None:
        self._item = item

    def record(self, name: str, value: float, unit: str) -> None:
        """Keep one sample of metric `name`."""
        self._item.user_properties.append(("harness_metric", [name, float(value), unit]))


class EvidenceSink:
    """The `evidence` fixture: values a test compared, shown by the reports' rule views."""

    def __init__(self, item: pytest.Item) -> None:
        self._item = item

    def record(self, rule: str, *, sent: Any, expected: Any, observed: Any) -> None:
        """Keep what was sent for `rule`, the value the spec expects and the value observed.

        Record before checking, so that a failed check still shows what was observed.
        Values are kept as JSON (anything else as its repr).
        """
        entry = {"rule": rule, "sent": sent, "expected": expected, "observed": observed}
        self._item.user_properties.append(
            ("harness_evidence", json.loads(json.dumps(entry, default=repr)))
        )


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> EvidenceSink:
    """Record sent, expected and observed values per rule (the timestamp table, for one)."""
    return EvidenceSink(request.node)


@pytest.fixture
def metrics(request: pytest.FixtureRequest) -> MetricSink:
    """Record metric samples (latencies, conversion times) for the policy's budgets."""
    return MetricSink(request.node)


@pytest.fixture
def converter(request: pytest.FixtureRequest) -> Callable[[object], object]:
    """The timestamp converter under test."""
    func = request.config.stash.get(CONVERTER, None)
    if func is None:
        raise CapabilityMissing("this test needs a converter: pass --converter MODULE:FUNCTION")
    return func
