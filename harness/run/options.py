"""The options of one run (`run`, `replay`): what they hold and the usage errors found
before anything starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from harness.errors import ConfigError
from harness.faults.proxy import FaultPlan, parse_faults
from harness.history.store import DEFAULT_PATH
from harness.run.converter import load_converter
from harness.run.shard import Shard, load_durations
from harness.run.suite import InstalledSuite
from harness.verdict.policy import Policy
from harness.wire.client import User
from harness.wire.profile import Profile, load_profile
from harness.wire.target import EMBEDDED, normalise_ws_url, parse_tokens

# The suite that plays the users' scenarios (suites/scenarios): planned only with folders.
SCENARIOS_SUITE: Final = "scenarios"


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The options of one run (DESIGN.md, `run`)."""

    target: str = EMBEDDED
    defects: tuple[str, ...] = ()
    liberal: int | None = None  # --liberal SEED: the embedded server's freedoms (reference/)
    suites: tuple[str, ...] = ()
    workers: str = "auto"
    policy: Path | None = None
    baseline: Path | None = None
    out: Path | None = None
    jwt_secret: str | None = None
    tokens: tuple[str, ...] = ()
    converter: str | None = None
    reruns: int | None = None
    max_duration: float = 900.0
    quiet: bool = False
    extra_pytest_args: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()  # --fault KIND=VALUE: a fault proxy before the target
    profile: str | None = None  # the target's dialect: a built-in profile name or a file
    history: Path | None = DEFAULT_PATH  # the run history (SQLite); None: --no-history
    baseline_auto: bool = False  # --baseline auto: the history's last approved comparable run
    # The load phase (suites/load): None takes the policy's [load] value.
    users: int | None = None
    conversations: int | None = None
    ramp: float | None = None
    soak: float | None = None
    shard: str | None = None  # --shard I/N: run only that slice of the plan (harness/run/shard.py)
    shard_durations: Path | None = None  # --shard-durations FILE: the split's durations table
    scenarios: tuple[str, ...] = ()  # --scenarios DIR: folders the scenarios suite plays
    # --serve CMD: the harness starts the target itself (harness/run/served.py); with
    # --ready-url/--ready-line/--serve-timeout it wins over the policy's [serve].
    serve: str | None = None
    ready_url: str | None = None
    ready_line: str | None = None
    serve_timeout: float | None = None


def select_suites(
    installed: list[InstalledSuite], names: tuple[str, ...], scenarios: bool = False
) -> list[InstalledSuite]:
    """The suites named with --suite (all when none); ConfigError naming an unknown one.

    The scenarios suite is left out when no scenario folder is given (`scenarios` False):
    it would plan nothing; naming it with --suite then is a usage error.
    """
    if not names:
        return [s for s in installed if scenarios or s.name != SCENARIOS_SUITE]
    known = {s.name: s for s in installed}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"--suite {unknown[0]!r}: no such suite (installed: {', '.join(sorted(known))})"
        )
    if SCENARIOS_SUITE in names and not scenarios:
        raise ConfigError(
            f"--suite {SCENARIOS_SUITE}: no scenario folder given (--scenarios DIR, or the "
            "policy's [scenarios] folders)"
        )
    return [known[n] for n in dict.fromkeys(names)]


def scenario_args(options: RunOptions, policy: Policy) -> tuple[str, ...]:
    """`--harness-scenarios` options for the folders of --scenarios (relative to the working
    folder) and of the policy's [scenarios] (relative to its file), each validated now: a
    missing folder or a bad scenario is a usage error before anything starts."""
    from harness.scenarios.load import load_folders

    base = options.policy.resolve().parent if options.policy is not None else Path.cwd()
    given = [(f"--scenarios {name}", Path(name).resolve()) for name in options.scenarios]
    given += [
        (f"{policy.source}: scenarios.folders[{i}]", (base / name).resolve())
        for i, name in enumerate(policy.scenario_folders)
    ]
    for where, path in given:
        if not path.exists():
            raise ConfigError(f"{where}: {path} does not exist")
    folders = list(dict.fromkeys(path for _, path in given))
    load_folders(folders)
    return tuple(f"--harness-scenarios={path}" for path in folders)


@dataclass(frozen=True, slots=True)
class Checked:
    """What checking the options read or parsed, kept so that nothing reads it again."""

    profile: Profile
    tokens: tuple[User, ...]
    faults: FaultPlan | None
    shard: Shard | None
    durations: Mapping[str, float] | None  # --shard-durations FILE, read


def validate_options(options: RunOptions) -> Checked:
    """Usage errors found before anything starts (exit code 4); return what was read."""
    if options.workers != "auto":
        try:
            if int(options.workers) < 0:
                raise ValueError
        except ValueError:
            raise ConfigError(
                f"-n/--workers {options.workers!r}: expected auto or N >= 0"
            ) from None
    if options.reruns is not None and options.reruns < 0:
        raise ConfigError(f"--reruns {options.reruns}: expected 0 or more")
    if options.max_duration <= 0:
        raise ConfigError(f"--max-duration {options.max_duration:g}: expected a positive number")
    for name, count in (("users", options.users), ("conversations", options.conversations)):
        if count is not None and count < 1:
            raise ConfigError(f"--{name} {count}: expected a whole number >= 1")
    for name, seconds in (("ramp", options.ramp), ("soak", options.soak)):
        if seconds is not None and not 0 <= seconds < float("inf"):
            raise ConfigError(f"--{name} {seconds:g}: expected a number of seconds >= 0")
    if options.target != EMBEDDED:
        normalise_ws_url(options.target.replace("{port}", "1"))
    check_serve_options(options)
    if options.converter:
        load_converter(options.converter)  # one that does not load is a usage error now
    faults = parse_faults(options.faults) if options.faults else None
    if options.target != EMBEDDED and options.defects:
        raise ConfigError("--defect applies only to the embedded target (--target embedded)")
    if options.target != EMBEDDED and options.liberal is not None:
        raise ConfigError("--liberal applies only to the embedded target (--target embedded)")
    if options.target == EMBEDDED and options.tokens:
        raise ConfigError("--token applies only to a remote target (--target ws://...)")
    profile = load_profile(options.profile)  # a bad profile is a usage error now
    commanded = profile.auth["tokens"]["source"] in ("command", "none")
    credentials = options.jwt_secret or options.tokens or commanded
    if options.target != EMBEDDED and not credentials and not serving(options):
        raise ConfigError(
            f"--target {options.target}: give --jwt-secret or at least one --token "
            "USER=JWT (or a profile whose token source is a command)"
        )
    tokens = parse_tokens(options.tokens)
    shard = Shard.parse(options.shard) if options.shard is not None else None
    durations = None
    if options.shard_durations is not None:
        if options.shard is None:
            raise ConfigError("--shard-durations applies only with --shard I/N")
        durations = MappingProxyType(load_durations(options.shard_durations))
    return Checked(profile, tokens, faults, shard, durations)


def serving(options: RunOptions) -> bool:
    """Whether the harness starts the target itself: --serve, or the target URL has {port}
    (then the policy's [serve] must say how)."""
    return options.serve is not None or "{port}" in options.target


def check_serve_options(options: RunOptions) -> None:
    """The usage errors of --serve and its options (the policy's [serve] is read later)."""
    import re

    if options.serve is None:
        for name, value in (
            ("--ready-url", options.ready_url),
            ("--ready-line", options.ready_line),
            ("--serve-timeout", options.serve_timeout),
        ):
            if value is not None:
                raise ConfigError(f"{name} applies only with --serve CMD")
        return
    if not options.serve.strip():
        raise ConfigError("--serve: expected a command line")
    if options.target == EMBEDDED:
        raise ConfigError(
            "--serve: give --target ws://127.0.0.1:{port}/PATH, where the served command "
            "listens ({port}: the port the harness picks)"
        )
    if options.defects or options.liberal is not None:
        raise ConfigError("--serve: --defect and --liberal apply only to the embedded target")
    if options.ready_url is not None and not options.ready_url.startswith(("http://", "https://")):
        raise ConfigError(f"--ready-url {options.ready_url!r}: expected an http:// URL")
    if options.ready_line is not None:
        try:
            re.compile(options.ready_line)
        except re.error as exc:
            raise ConfigError(f"--ready-line {options.ready_line!r}: {exc}") from None
    if options.serve_timeout is not None and not 0 < options.serve_timeout < float("inf"):
        raise ConfigError(f"--serve-timeout {options.serve_timeout:g}: expected seconds > 0")


def replay_capture_args(policy: Policy, policy_file: Path | None) -> tuple[str, ...]:
    """`--harness-replay-capture` options for the captures the policy names (relative to its file),
    each validated now: a missing or bad capture is a usage error before anything starts."""
    from harness.replay.capture import load_capture

    base = policy_file.resolve().parent if policy_file is not None else Path.cwd()
    args = []
    for i, name in enumerate(policy.replay_paths):
        path = (base / name).resolve()
        if not path.exists():
            raise ConfigError(f"{policy.source}: replays.paths[{i}]: {path} does not exist")
        for capture in sorted(path.glob("*.jsonl")) if path.is_dir() else [path]:
            load_capture(capture)
        args.append(f"--harness-replay-capture={path}")
    return tuple(args)
