"""The harness's pytest plugin (entry point `pytest11: harness`).

Importing it does nothing. Its options live in the `stability-harness` group;
its fixtures do work only when a test asks for them; it writes
`results.jsonl` only when `--harness-out` is given, and only on the xdist
controller (workers ship their reports to it).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from harness.errors import CapabilityMissing, CheckFailed, ConfigError, HarnessError
from harness.run.converter import load_converter
from harness.run.pytest_options import add_options
from harness.run.results import ResultsWriter, test_id
from harness.run.selection import (
    NO_CONVERTER,
    NO_LONG_WAITS,
    NO_PRIVATE_TARGET,
    lacking,
    rules_of,
    unfit,
    unknown_rules,
    write_plan,
)
from harness.run.suite import InstalledSuite, discover_suites
from harness.wire import protocol as P
from harness.wire.causes import LEDGER_FILE, CauseLedger, CauseWatch
from harness.wire.target import EMBEDDED, EMBEDDED_CONVERTER, Target, UserFactory, parse_tokens
from harness.wire.transcript import Transcript

_TRANSCRIPT = pytest.StashKey[Transcript]()
_WRITER = pytest.StashKey[ResultsWriter]()
_CONVERTER = pytest.StashKey[Callable[[object], object] | None]()
_PROFILE = pytest.StashKey[Any]()
_LEDGER = pytest.StashKey[CauseLedger]()
_SUITES = pytest.StashKey[list[InstalledSuite]]()
_WATCH = pytest.StashKey[CauseWatch]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "perf: performance test run in the serial phase")
    config.addinivalue_line(
        "markers", "load: load test run alone in the load phase (many users, one event loop)"
    )
    config.addinivalue_line(
        "markers", "requires_converter: planned only when a timestamp converter is under test"
    )
    config.addinivalue_line(
        "markers", "rules(*ids): the rules of the catalogue (harness/rules) this test verifies"
    )
    config.addinivalue_line(
        "markers",
        "requires_private_target: planned only when the harness starts the target itself "
        "(embedded), so that a test can shut a private instance of it down",
    )
    config.addinivalue_line(
        "markers", "long_wait: waits a minute or more; planned only with --harness-long-waits"
    )
    config.addinivalue_line(
        "markers", "requires_profile(name): planned only on a target of that dialect (a capture)"
    )
    config.addinivalue_line(
        "markers", "needs_message_bytes(n): planned only when the target accepts frames of n bytes"
    )
    config.addinivalue_line(
        "markers", "every_shard: runs in every shard of a --shard run, on that shard's share"
    )
    config.stash[_CONVERTER] = _load_converter(config)
    config.stash[_PROFILE] = _load_profile(config)
    _check_defects(config)
    out = config.getoption("harness_out", None)
    phase = int(config.getoption("harness_phase"))
    controller = not hasattr(config, "workerinput")
    if out and controller and phase == 1:
        # A run's causes start empty (its later phases and reruns share them); the
        # controller configures before any worker starts.
        (Path(out) / LEDGER_FILE).unlink(missing_ok=True)
    config.stash[_LEDGER] = CauseLedger(Path(out) / LEDGER_FILE if out else None)
    _select_shard(config, Path(out) if out else None, phase)
    if out and controller:
        writer = ResultsWriter(Path(out), phase=phase)
        config.stash[_WRITER] = writer
        config.pluginmanager.register(writer, "harness-results-writer")


def _select_shard(config: pytest.Config, out: Path | None, phase: int) -> None:
    """With --harness-shard, deselect the tests of the other shards (harness/run/shard.py)."""
    from harness.run.shard import ShardSelection, shard_of

    try:
        shard = shard_of(config)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    if shard is None:
        return
    durations = config.getoption("harness_shard_durations", None)
    selection = ShardSelection(shard, Path(durations) if durations else None, out, phase, _item_id)
    config.pluginmanager.register(selection, "harness-shard-selection")


def _item_id(item: pytest.Item) -> tuple[str, str] | None:
    """(suite, stable test id) of a collected test, or None outside every suite."""
    config = item.config
    suites = config.stash.get(_SUITES, None)
    if suites is None:
        suites = config.stash[_SUITES] = [s for s in discover_suites() if s.path is not None]
    return test_id(item.nodeid, config.rootpath, suites)


def _check_defects(config: pytest.Config) -> None:
    defects = config.getoption("harness_defect", None)
    if not defects:
        return
    if not _embedded(config):
        raise pytest.UsageError("--harness-defect applies only to the embedded target")
    from harness.reference.defects import resolve_defects

    try:
        resolve_defects(defects)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _embedded(config: pytest.Config) -> bool:
    """Return whether the target is the embedded reference server (started here or by the run)."""
    return config.getoption("harness_target", EMBEDDED) == EMBEDDED or bool(
        config.getoption("harness_embedded", False)
    )


def _secret(config: pytest.Config) -> str | None:
    """The HS256 secret: --jwt-secret, or the environment the runner passes it through."""
    from harness.wire.tokens import SECRET_ENV

    return config.getoption("harness_jwt_secret", None) or os.environ.get(SECRET_ENV) or None


def _token_pairs(config: pytest.Config) -> list[str]:
    """`USER=JWT` pairs: --token options, then the environment the runner passes them through."""
    from harness.wire.tokens import TOKENS_ENV

    pairs = list(config.getoption("harness_token", []) or [])
    pairs += [line for line in os.environ.get(TOKENS_ENV, "").splitlines() if line.strip()]
    return pairs


def _spec(config: pytest.Config) -> str:
    """The --profile value (the default profile's name when none is given)."""
    return str(config.getoption("harness_profile", None) or P.PROFILE)


def _load_profile(config: pytest.Config) -> Any:
    from harness.wire.profile import load_profile

    try:
        return load_profile(_spec(config))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _load_converter(config: pytest.Config) -> Callable[[object], object] | None:
    spec = config.getoption("harness_converter", None)
    if spec is None and config.getoption("harness_target", EMBEDDED) == EMBEDDED:
        spec = EMBEDDED_CONVERTER
    if spec is None:
        return None
    try:
        return load_converter(spec)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unknown = unknown_rules(items)
    if unknown:
        raise pytest.UsageError(unknown)
    dropped = left_out(config, items)
    if dropped:
        items[:] = [item for item in items if item not in dropped]
        config.hook.pytest_deselected(items=list(dropped))
    out = config.getoption("harness_out", None)
    if out and (items or dropped):
        write_plan(config, Path(out), items, dropped)


def left_out(config: pytest.Config, items: list[pytest.Item]) -> dict[pytest.Item, str]:
    """The tests this run cannot plan (an input or an ability is missing), with the reason."""
    missing: list[tuple[str, str]] = []
    if config.stash.get(_CONVERTER, None) is None:
        missing.append(("requires_converter", NO_CONVERTER))
    if not _embedded(config):
        missing.append(("requires_private_target", NO_PRIVATE_TARGET))
    if not config.getoption("harness_long_waits", False):
        missing.append(("long_wait", NO_LONG_WAITS))
    dropped: dict[pytest.Item, str] = {}
    for item in items:
        for marker, reason in missing:
            if item.get_closest_marker(marker):
                dropped.setdefault(item, reason)
    profile = config.stash.get(_PROFILE, None)
    if profile is not None:
        for item in items:
            why = lacking(profile, rules_of(item)) or unfit(profile, item)
            if why and item not in dropped:
                dropped[item] = why
    return dropped


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # A rerun starts a fresh attempt: drop what the previous attempt recorded.
    item.user_properties[:] = [
        (k, v) for k, v in item.user_properties if not str(k).startswith("harness_")
    ]
    if _WATCH in item.stash:
        del item.stash[_WATCH]


def _cause_watch(item: pytest.Item) -> CauseWatch:
    """This attempt's view of the run's cause ledger (made when a test first connects)."""
    watch = item.stash.get(_WATCH, None)
    if watch is None:
        watch = item.stash[_WATCH] = CauseWatch(
            item.config.stash[_LEDGER],
            _stable_id(item),
            on_first=lambda cause: item.user_properties.append(("harness_cause", cause.to_json())),
        )
    return watch


def _stable_id(item: pytest.Item) -> str:
    """The test's id as the verdict names it (`suite::module::name`), else its node id."""
    config = item.config
    suites = config.stash.get(_SUITES, None)
    if suites is None:
        suites = config.stash[_SUITES] = [s for s in discover_suites() if s.path is not None]
    ident = test_id(item.nodeid, config.rootpath, suites)
    return ident[1] if ident is not None else item.nodeid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception):
        exc = call.excinfo.value
        harness_error = isinstance(exc, HarnessError) or _is_timeout(exc)
        if harness_error:
            report.user_properties.append(("harness_error", True))
        elif isinstance(exc, AssertionError):
            report.user_properties.append(("harness_check", True))
        message = _message(exc)
        watch = item.stash.get(_WATCH, None)
        if watch is not None and watch.again and "same cause as" not in message:
            # A suite may word the short wait's failure its own way: name the cause anyway.
            cause = watch.again[0]
            message = f"same cause as {cause.test}: {cause.message}; {message}"
        report.user_properties.append(("harness_message", message))
    if report.failed:
        transcript = item.stash.get(_TRANSCRIPT, None)
        if transcript is not None and len(transcript):
            report.user_properties.append(("harness_transcript", transcript.export()))
    return report


def _is_timeout(exc: BaseException) -> bool:
    return type(exc).__name__ == "Failed" and str(exc).startswith("Timeout")


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    if not isinstance(exc, AssertionError):
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= 4000 else text[:4000] + "…"


# -- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The server under verification (the embedded reference server unless --target is a URL)."""
    config = request.config
    url = config.getoption("harness_target")
    profile = config.stash[_PROFILE]
    if url == EMBEDDED:
        from harness.reference import ServerConfig, start_subprocess
        from harness.reference.defects import resolve_defects

        secret = _secret(config) or secrets.token_urlsafe(24)
        defects = resolve_defects(config.getoption("harness_defect"))
        # A process of its own: the server never shares an interpreter with the tests
        # (CPython 3.11.7 crashes when two threads build ASTs at once, gh-106905).
        server_config = ServerConfig(jwt_secret=secret, defects=defects, profile=_spec(config))
        with start_subprocess(server_config) as server:
            yield Target.from_url(
                server.ws_url, secret=secret, kind=EMBEDDED, defects=defects, profile=profile
            )
        return
    if _embedded(config):
        from harness.reference.defects import resolve_defects

        defects = resolve_defects(config.getoption("harness_defect"))
        yield Target.from_url(
            url,
            secret=_secret(config),
            kind=EMBEDDED,
            defects=defects,
            profile=profile,
        )
        return
    yield Target.from_url(
        url,
        secret=_secret(config),
        tokens=parse_tokens(_token_pairs(config)),
        profile=profile,
    )


class PrivateTarget:
    """The `private_target` fixture: an instance of the embedded target for one test only."""

    def __init__(self, server: Any, target: Target) -> None:
        self.target = target
        self._server = server

    async def stop(self) -> None:
        """Shut the instance down as its operator would (SIGTERM), its clients still open."""
        await asyncio.to_thread(self._server.stop)


@pytest.fixture
def private_target(target: Target) -> Iterator[PrivateTarget]:
    """A freshly started instance of the embedded target (its defects, its secret), stopped
    at teardown unless the test stopped it; tests that use it are marked
    `requires_private_target`, since a remote target cannot be started by the harness."""
    if target.kind != EMBEDDED or target.secret is None:
        raise CapabilityMissing(f"a private target needs the embedded target: {NO_PRIVATE_TARGET}")
    from harness.reference import ServerConfig, start_subprocess

    spec = target.profile.source if target.profile.source != "built-in" else target.profile.name
    config = ServerConfig(jwt_secret=target.secret, defects=target.defects, profile=spec)
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


@pytest.fixture
def transcript(request: pytest.FixtureRequest) -> Transcript:
    """This test's frame transcript (attached to its report when it fails)."""
    recorded = Transcript()
    request.node.stash[_TRANSCRIPT] = recorded
    return recorded


@pytest.fixture
def users(target: Target) -> UserFactory:
    """Fresh synthetic users and crafted tokens for this test."""
    return UserFactory(target)


@pytest_asyncio.fixture
async def connect(
    request: pytest.FixtureRequest, target: Target, users: UserFactory, transcript: Transcript
) -> AsyncIterator[Callable[..., Any]]:
    """An async factory of authenticated `Client`s; all are closed at teardown.

    At teardown the test fails if any of its connections was closed by the server
    with 1011 or ended without a close frame from the server (PROTOCOL.md section 6),
    wherever that happened, even after the test's last check.
    """
    from harness.wire.client import Client, User, open_client

    clients: list[Client] = []
    watch = _cause_watch(request.node)

    async def factory(user: User | None = None, **options: Any) -> Any:
        if user is None and options.get("token") is None and options.get("transport") != "none":
            user = users.new()
        options.setdefault("causes", watch)
        options.setdefault("profile", target.profile)
        client = await open_client(target.ws_url, user, transcript, **options)
        clients.append(client)
        return client

    yield factory
    # Closing with 1000 first: the server's close frame, sent before or in reply to ours,
    # comes after every frame it sent before, so no extra wait is needed to see a 1011.
    await asyncio.gather(*(client.close() for client in clients))
    ended = [(client.conn, client.end_failure()) for client in clients]
    failures = [f"connection {conn}: {failure}" for conn, failure in ended if failure]
    if failures:
        raise CheckFailed(
            "the test's connections at its end",
            expected="no close 1011 and a close frame from the server on every closed connection",
            observed="; ".join(failures),
            frames=transcript.export(),
        )


@pytest.fixture
def causes(request: pytest.FixtureRequest) -> CauseWatch:
    """The run's cause ledger as this test sees it, for a suite's own bounded waits."""
    return _cause_watch(request.node)


@pytest.fixture
def http(target: Target, transcript: Transcript) -> Any:
    """GETs on the target's HTTP routes (`/health`, `/stats`)."""
    from harness.wire.http import HttpClient

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
    func = request.config.stash.get(_CONVERTER, None)
    if func is None:
        raise CapabilityMissing("this test needs a converter: pass --converter MODULE:FUNCTION")
    return func
