"""The harness plugin's hooks, registered by harness.run.plugin only when a session asks
for the harness: markers, the run's inputs read once (converter, profile, defects),
planning (tests left out with the reason), sharding, results.jsonl and what each test
report carries (harness_* user properties)."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from pathlib import Path
from types import TracebackType

import pytest
import pytest_timeout

from harness.errors import CheckFailed, ConfigError, Deviation, HarnessError
from harness.run.checks import Checks
from harness.run.converter import load_converter
from harness.run.pytest_options import fill_load_defaults
from harness.run.results import test_id
from harness.run.results_writer import ResultsWriter
from harness.run.selection import (
    NO_CONVERTER,
    NO_LONG_WAITS,
    NO_PRIVATE_TARGET,
    lacking,
    needs_of,
    premises_of,
    rules_of,
    rules_out,
    unfit,
    unknown_rules,
    write_plan,
)
from harness.run.served import SERVED_EXIT, plan_from_env
from harness.run.suite import InstalledSuite, discover_suites
from harness.wire import protocol as P
from harness.wire.causes import LEDGER_FILE, Cause, CauseLedger, CauseWatch
from harness.wire.limits import UnverifiedLimit
from harness.wire.pending import missed
from harness.wire.profile import Profile, load_profile
from harness.wire.target import EMBEDDED, EMBEDDED_CONVERTER
from harness.wire.transcript import Transcript

TRANSCRIPT = pytest.StashKey[Transcript]()
_WRITER = pytest.StashKey[ResultsWriter]()
CONVERTER = pytest.StashKey[Callable[[object], object] | None]()
PROFILE = pytest.StashKey[Profile]()
_LEDGER = pytest.StashKey[CauseLedger]()
_SUITES = pytest.StashKey[list[InstalledSuite]]()
_WATCH = pytest.StashKey[CauseWatch]()
_CHECKS = pytest.StashKey[Checks]()


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
        "premise(*ids): rules the test verifies and cannot check anything without; when "
        "the target's profile leaves one out, the whole test is left out",
    )
    config.addinivalue_line(
        "markers",
        "needs(*capabilities): capabilities of the rule catalogue the test checks nothing "
        "without (scripted_agent: the scripted agent's known answers); when the target's "
        "profile lacks one, the whole test is left out",
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
    fill_load_defaults(config)
    config.stash[CONVERTER] = _load_converter(config)
    config.stash[PROFILE] = _load_profile(config)
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
    if not embedded(config):
        raise pytest.UsageError("--harness-defect applies only to the embedded target")
    from harness.reference.defects import resolve_defects

    try:
        resolve_defects(defects)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def target_url(config: pytest.Config) -> str:
    """The --harness-target value: a ws:// URL, or `embedded` (the default)."""
    return str(config.getoption("harness_target", None) or EMBEDDED)


def embedded(config: pytest.Config) -> bool:
    """Return whether the target is the embedded reference server (started here or by the run)."""
    return target_url(config) == EMBEDDED or bool(config.getoption("harness_embedded", False))


def secret_of(config: pytest.Config) -> str | None:
    """The HS256 secret: --jwt-secret, or the environment the runner passes it through."""
    from harness.wire.tokens import SECRET_ENV

    return config.getoption("harness_jwt_secret", None) or os.environ.get(SECRET_ENV) or None


def token_pairs(config: pytest.Config) -> list[str]:
    """`USER=JWT` pairs: --token options, then the environment the runner passes them through."""
    from harness.wire.tokens import TOKENS_ENV

    pairs = list(config.getoption("harness_token", []) or [])
    pairs += [line for line in os.environ.get(TOKENS_ENV, "").splitlines() if line.strip()]
    return pairs


def spec_of(config: pytest.Config) -> str:
    """The --profile value (the default profile's name when none is given)."""
    return str(config.getoption("harness_profile", None) or P.PROFILE)


def _load_profile(config: pytest.Config) -> Profile:
    try:
        return load_profile(spec_of(config))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _load_converter(config: pytest.Config) -> Callable[[object], object] | None:
    spec = config.getoption("harness_converter", None)
    if spec is None and target_url(config) == EMBEDDED:
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
    checks = checks_left_out(config, items)
    out = config.getoption("harness_out", None)
    if out and (items or dropped):
        write_plan(config, Path(out), items, dropped, checks)


def left_out(config: pytest.Config, items: list[pytest.Item]) -> dict[pytest.Item, str]:
    """The tests this run cannot plan (an input or an ability is missing), with the reason."""
    missing: list[tuple[str, str]] = []
    if config.stash.get(CONVERTER, None) is None:
        missing.append(("requires_converter", NO_CONVERTER))
    if not embedded(config) and plan_from_env() is None:
        missing.append(("requires_private_target", NO_PRIVATE_TARGET))
    if not config.getoption("harness_long_waits", False):
        missing.append(("long_wait", NO_LONG_WAITS))
    dropped: dict[pytest.Item, str] = {}
    for item in items:
        for marker, reason in missing:
            if item.get_closest_marker(marker):
                dropped.setdefault(item, reason)
    profile = config.stash.get(PROFILE, None)
    if profile is not None:
        for item in items:
            needs = needs_of(item)
            why = lacking(profile, rules_of(item), premises_of(item), needs) or unfit(profile, item)
            if why and item not in dropped:
                dropped[item] = why
    return dropped


def checks_left_out(
    config: pytest.Config, items: list[pytest.Item]
) -> dict[pytest.Item, dict[str, str]]:
    """The planned tests some of whose rules the target's profile leaves out: for each, the
    rules whose checks it does not make (`Checks.applies` says False) and the reason."""
    profile = config.stash.get(PROFILE, None)
    if profile is None:
        return {}
    found: dict[pytest.Item, dict[str, str]] = {}
    for item in items:
        out = rules_out(profile, rules_of(item))
        if out:
            found[item] = out
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # A rerun starts a fresh attempt: drop what the previous attempt recorded.
    item.user_properties[:] = [
        (k, v) for k, v in item.user_properties if not str(k).startswith("harness_")
    ]
    if _WATCH in item.stash:
        del item.stash[_WATCH]


def known_cause(config: pytest.Config, key: str) -> Cause | None:
    """The cause the run's ledger holds for `key` (a wait for it timed out in an earlier
    test, of this phase or an earlier one), or None; None outside a run with a ledger."""
    ledger = config.stash.get(_LEDGER, None)
    return ledger.find(key) if ledger is not None else None


def checks_of(item: pytest.Item) -> Checks:
    """This test's `Checks`: the rules it names, and those its target's profile leaves out."""
    found = item.stash.get(_CHECKS, None)
    if found is None:
        profile = item.config.stash.get(PROFILE, None)
        named = rules_of(item)
        left_out = rules_out(profile, named) if profile is not None else {}
        found = item.stash[_CHECKS] = Checks(_stable_id(item), named, left_out)
    return found


def cause_watch(item: pytest.Item) -> CauseWatch:
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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception):
        why = call.excinfo.value.__cause__  # harness.wire.limits.skip_unverifiable_limit's
        if isinstance(why, UnverifiedLimit):
            report.user_properties.append(("harness_limit_skip", [why.limit, why.value]))
    elif call.excinfo is not None:
        exc = call.excinfo.value
        harness_error = isinstance(exc, HarnessError) or _is_timeout(call.excinfo)
        if harness_error:
            report.user_properties.append(("harness_error", True))
        elif isinstance(exc, AssertionError):
            report.user_properties.append(("harness_check", True))
        message = _message(exc)
        watch = item.stash.get(_WATCH, None)
        cause_key = exc.cause.key if isinstance(exc, CheckFailed) and exc.cause else None
        if cause_key is None and watch is not None and watch.again:
            # A suite may word the short wait's failure its own way: name the cause anyway.
            cause_key = watch.again[0].key
            message = f"{watch.again[0].named(watch.test)}; {message}"
        gone = known_cause(item.config, SERVED_EXIT) if report.failed else None
        if cause_key is None and gone is not None:
            # The target the run started is gone: that, not the test, is why it failed.
            cause_key = gone.key
            message = f"{gone.message}; {message}"
        if cause_key is not None:
            # The verdict's fast-fail notes count the run's failures by this key.
            report.user_properties.append(("harness_cause_key", cause_key))
            if report.failed:
                _no_rerun(item, report.when)
        deviation = _deviation(exc, watch)
        if deviation is not None:
            # The verdict's causes group the run's failures by its key (harness.verdict.causes).
            report.user_properties.append(
                ("harness_deviation", [deviation.key, deviation.title, list(deviation.rules)])
            )
        report.user_properties.append(("harness_message", message))
    if report.failed:
        transcript = item.stash.get(TRANSCRIPT, None)
        if transcript is not None and len(transcript):
            report.user_properties.append(("harness_transcript", transcript.export()))
    return report


def _no_rerun(item: pytest.Item, when: str) -> None:
    """A failure from a cause an earlier test met (its wait timed out there) is final: a
    rerun would wait for the same frame again, which the target is known not to send.

    pytest-rerunfailures reruns a failed phase unless one of the item's phases failed with
    an error it must not rerun (`item._terminal_errors`, set by its own makereport wrapper,
    which this outer wrapper follows); marking the phase so is all it takes.
    """
    terminal = getattr(item, "_terminal_errors", None)
    if isinstance(terminal, dict):
        terminal[when] = True


def _deviation(exc: BaseException, watch: CauseWatch | None) -> Deviation | None:
    """How the check failed, when the failure says it; else the wait that timed out in this
    test (met again, or first seen here) when the failure came from a wait of the ledger."""
    if isinstance(exc, CheckFailed):
        if exc.deviation is not None:
            return exc.deviation
        if exc.cause is not None:
            return missed(exc.cause.key, exc.cause.message)
    if watch is None:
        return None
    seen = watch.again or watch.first
    return missed(seen[0].key, seen[0].message) if seen else None


def _is_timeout(excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """Return whether pytest-timeout ended the test: its signal method calls `pytest.fail`
    from its SIGALRM handler, `pytest_timeout.timeout_sigalrm`, so that function's frame is
    in the traceback. (Its thread method ends the process: a crashed worker, not a report.)
    """
    if not excinfo.errisinstance(pytest.fail.Exception):
        return False
    handler = pytest_timeout.timeout_sigalrm.__code__
    tb: TracebackType | None = excinfo.tb
    while tb is not None:
        if tb.tb_frame.f_code is handler:
            return True
        tb = tb.tb_next
    return False


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    if not isinstance(exc, AssertionError):
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= 4000 else text[:4000] + "…"
