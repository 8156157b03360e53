"""The `stability-harness` command: parses arguments and hands each subcommand to its module."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from harness import __version__
from harness.errors import ConfigError, HarnessError
from harness.history.run_history import add_arguments as add_history_arguments
from harness.history.store import DEFAULT_PATH
from harness.wire.tokens import SECRET_ENV

EXIT_USAGE = 4
EXIT_INTERNAL = 3


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="stability-harness",
        description="Verify a chat/agent WebSocket server and decide go or no-go.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="verify a target and write a report (the main job)")
    add_target_arguments(run)
    run.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this suite (repeatable; default: all installed)",
    )
    add_history_arguments(run, "this run")
    run.add_argument(
        "--converter", metavar="MODULE:FUNCTION", help="a timestamp converter to verify in-process"
    )
    load = run.add_argument_group("load phase (suite load; defaults from the policy's [load])")
    load.add_argument("--users", type=int, metavar="N", help="concurrent users (default 200)")
    load.add_argument(
        "--conversations", type=int, metavar="M", help="agent runs each user holds (default 2)"
    )
    load.add_argument(
        "--ramp", type=float, metavar="SECONDS", help="connect the users over this long (2)"
    )
    load.add_argument(
        "--soak",
        type=float,
        metavar="SECONDS",
        help="keep the users conversing this long, reporting the drift per window (added to "
        "--max-duration)",
    )
    run.add_argument(
        "--shard",
        metavar="I/N",
        help="run only shard I of N of the planned tests (merge the shards with `merge`)",
    )
    run.add_argument(
        "--shard-durations",
        type=Path,
        metavar="FILE",
        help="balance the shards by these durations: {test id: seconds} or a verdict.json "
        "(default: the history's recorded durations; none: by count)",
    )
    from harness.run import merge as merge_module

    merge_module.add_arguments(sub.add_parser("merge", help=merge_module.HELP))

    replay = sub.add_parser("replay", help="replay captures against a target, judged per frame")
    replay.add_argument("captures", nargs="+", type=Path, metavar="FILE")
    add_target_arguments(replay)
    replay.add_argument(
        "--pacing",
        choices=("causal", "timed"),
        default="causal",
        help="causal (default): send once the recorded replies arrived; timed: recorded gaps",
    )
    replay.add_argument(
        "--speed", type=float, default=1.0, metavar="X", help="timed pacing: X times faster"
    )

    serve = sub.add_parser("serve", help="run the reference server standalone")
    from harness.reference import serve as serve_module

    serve_module.add_arguments(serve)

    sub.add_parser("suites", help="list installed suites with their planned test counts")
    defects = sub.add_parser("defects", help="list the reference server's defect catalogue")
    defects.add_argument(
        "--profile", metavar="NAME|FILE", help="say which defects apply to a dialect"
    )
    rules = sub.add_parser("rules", help="list the rule catalogue (every rule the suites verify)")
    rules.add_argument(
        "--format", choices=("plain", "json"), default="plain", help="output format (plain)"
    )
    rules.add_argument(
        "--tests", action="store_true", help="also count (plain) or list (json) each rule's tests"
    )

    profile = sub.add_parser("profile", help="show a built-in profile or check a profile file")
    profile_sub = profile.add_subparsers(dest="profile_command", required=True, metavar="ACTION")
    show = profile_sub.add_parser("show", help="print a built-in profile")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--resolved", action="store_true", help="print it merged, as JSON")
    check = profile_sub.add_parser("check", help="validate a profile; rules it can verify")
    check.add_argument("spec", metavar="FILE|NAME")
    asyncapi = profile_sub.add_parser("asyncapi", help="write the dialect as an AsyncAPI 3.0 doc")
    asyncapi.add_argument("spec", metavar="NAME|FILE")
    asyncapi.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")

    rec = sub.add_parser("record", help="record a session through a transparent WebSocket proxy")
    rec.add_argument("--listen", required=True, metavar="HOST:PORT", help="where clients connect")
    rec.add_argument("--upstream", required=True, metavar="URL", help="the server to forward to")
    rec.add_argument("--out", type=Path, required=True, metavar="FILE", help="the capture")
    rec.add_argument(
        "--profile", default="chat-agent/1", metavar="NAME|FILE", help="the dialect it speaks"
    )

    capture = sub.add_parser("capture", help="convert recorded sessions into captures")
    capture_sub = capture.add_subparsers(dest="capture_command", required=True, metavar="ACTION")
    from_har = capture_sub.add_parser("from-har", help="the WebSocket messages of a HAR file")
    from_har.add_argument("har", type=Path, metavar="FILE.har")
    from_har.add_argument("--out", type=Path, required=True, metavar="FILE", help="the capture")
    from_har.add_argument(
        "--profile", default="chat-agent/1", metavar="NAME|FILE", help="the dialect it speaks"
    )

    report = sub.add_parser("report", help="re-render the reports of a verdict.json")
    from harness.report import command as reportcmd

    reportcmd.add_arguments(report)

    diff = sub.add_parser(
        "diff",
        help="per-test transitions and metric changes between two runs (exit 1: a regression; "
        "4: not comparable)",
    )
    diff.add_argument(
        "base", metavar="BASE", help="verdict.json, a run folder, or a history run id"
    )
    diff.add_argument("new", metavar="NEW", help="verdict.json, a run folder, or a history run id")
    diff.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_PATH,
        metavar="PATH",
        help="where run ids are looked up (default: reports/history.sqlite)",
    )
    diff.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="policy whose [baseline] alpha and min_effect judge",
    )
    diff.add_argument(
        "--format", choices=("plain", "md", "json"), default="plain", help="output format (plain)"
    )
    history = sub.add_parser("history", help="list the recent runs of the run history")
    history.add_argument("--target", metavar="URL|embedded", help="only runs of this target")
    history.add_argument(
        "--limit", type=int, default=20, metavar="N", help="at most N runs (default: 20)"
    )
    history.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_PATH,
        metavar="PATH",
        help="the run history (default: reports/history.sqlite)",
    )
    history.add_argument(
        "--format", choices=("plain", "json"), default="plain", help="output format (plain)"
    )
    return parser


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `run` and `replay` that say what to verify and where the reports go."""
    parser.add_argument(
        "--target",
        default="embedded",
        metavar="URL|embedded",
        help="ws:// URL of the server to verify (default: embedded reference server)",
    )
    parser.add_argument(
        "--defect",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a reference-server defect (repeatable; embedded only)",
    )
    parser.add_argument(
        "-n",
        "--workers",
        default="auto",
        metavar="N|auto",
        help="pytest-xdist workers for the suite phase (default: auto, two per CPU, more "
        "for a target whose agent runs are slow)",
    )
    parser.add_argument("--policy", type=Path, metavar="FILE", help="policy TOML file")
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default: reports/<run-id>/)"
    )
    parser.add_argument(
        "--jwt-secret",
        metavar="SECRET",
        help="HS256 secret to mint tokens for synthetic users (remote target); "
        "or set STABILITY_HARNESS_JWT_SECRET, which keeps it off the command line",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME|FILE",
        help="the target's dialect: a built-in profile (chat-agent/1, netra-2025-09) or a file",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="USER=JWT",
        help="a ready-made token for a remote target (repeatable)",
    )
    parser.add_argument("--reruns", type=int, metavar="N", help="rerun failed tests up to N times")
    parser.add_argument(
        "--max-duration",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="stop the run after this long (default: 900); the verdict is INCOMPLETE",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the verdict line")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=VALUE",
        help="inject a fault between the harness and the target (repeatable): latency=MS, "
        "jitter=MS, bandwidth=BYTES_PER_S, cut=BYTES, reset=BYTES, blackhole=1, slow-close=MS",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code of DESIGN.md."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help exits 0, a usage error exits 2
        return EXIT_USAGE if exc.code not in (0, None) else 0
    try:
        return dispatch(args)
    except ConfigError as exc:
        print(f"stability-harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HarnessError as exc:
        print(f"stability-harness: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("stability-harness: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # the harness's own crash: exit 3, never a verdict
        print(f"stability-harness: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def replay_arguments(captures: Sequence[Path], pacing: str, speed: float) -> tuple[str, ...]:
    """The pytest options that make the replays suite replay only `captures` (validated now)."""
    from harness.replay.capture import load_capture

    if not speed > 0:
        raise ConfigError(f"--speed {speed:g}: expected a positive number")
    extra = ["--replay-only", f"--replay-pacing={pacing}", f"--replay-speed={speed}"]
    for path in captures:
        load_capture(path)  # a bad capture is a usage error before anything starts
        extra.append(f"--replay-capture={path.resolve()}")
    return tuple(extra)


def _auto(args: argparse.Namespace) -> bool:
    return str(getattr(args, "baseline", None)) == "auto"


def dispatch(args: argparse.Namespace) -> int:
    """Run one parsed subcommand."""
    if args.command in ("run", "replay"):
        from rich.console import Console

        from harness.run.options import RunOptions
        from harness.run.runner import execute

        extra: tuple[str, ...] = ()
        if args.command == "replay":
            extra = replay_arguments(args.captures, args.pacing, args.speed)
        options = RunOptions(
            target=args.target,
            defects=tuple(args.defect),
            suites=tuple(getattr(args, "suite", ())) or (("replays",) if extra else ()),
            workers=str(args.workers),
            policy=args.policy,
            baseline=None if _auto(args) else getattr(args, "baseline", None),
            baseline_auto=_auto(args),
            history=None if getattr(args, "no_history", False) else getattr(args, "history", None),
            out=args.out,
            jwt_secret=args.jwt_secret or os.environ.get(SECRET_ENV) or None,
            tokens=tuple(args.token),
            converter=getattr(args, "converter", None),
            reruns=args.reruns,
            max_duration=args.max_duration,
            quiet=args.quiet,
            extra_pytest_args=extra,
            faults=tuple(args.fault),
            profile=args.profile,
            users=getattr(args, "users", None),
            conversations=getattr(args, "conversations", None),
            ramp=getattr(args, "ramp", None),
            soak=getattr(args, "soak", None),
            shard=getattr(args, "shard", None),
            shard_durations=getattr(args, "shard_durations", None),
        )
        return execute(
            options, Console(highlight=False, width=None if sys.stdout.isatty() else 120)
        )
    if args.command == "merge":
        from harness.run.merge import merge_main

        return merge_main(args)
    if args.command == "serve":
        from harness.reference import serve as serve_module

        return serve_module.main(args)
    if args.command == "defects":
        from harness.run.inventory import defects_main

        return defects_main(args.profile)
    if args.command == "suites":
        from harness.run.inventory import suites_main

        return suites_main()
    if args.command == "profile":
        from harness.run.inventory import profile_check_main, profile_show_main

        if args.profile_command == "show":
            return profile_show_main(args.name, resolved=args.resolved)
        if args.profile_command == "asyncapi":
            from harness.run.inventory import profile_asyncapi_main

            return profile_asyncapi_main(args.spec, args.out)
        return profile_check_main(args.spec)
    if args.command == "record":
        import asyncio

        from harness.replay.proxy import record

        return asyncio.run(record(args.listen, args.upstream, args.out, args.profile))
    if args.command == "capture":
        from harness.replay.har import har_to_capture

        count = har_to_capture(args.har, args.out, profile=args.profile)
        print(f"wrote {args.out}: {count} connection(s)")
        return 0
    if args.command == "rules":
        from harness.run.inventory import rules_main

        return rules_main(args.format, with_tests=args.tests)
    if args.command == "report":
        from harness.report import command as reportcmd
        from harness.run.recovery import rebuild_from

        return reportcmd.main(args, rebuild_from)
    if args.command == "diff":
        from harness.history.diff import diff_main

        return diff_main(
            args.base, args.new, history=args.history, policy=args.policy, fmt=args.format
        )
    if args.command == "history":
        from harness.history.listing import history_main

        return history_main(args.history, target=args.target, limit=args.limit, fmt=args.format)
    raise AssertionError(f"unhandled command {args.command}")
