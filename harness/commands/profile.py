"""`stability-harness profile show|check|asyncapi|discover`: a built-in profile, a profile
checked, a dialect as an AsyncAPI document, a profile drafted from a live server."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from pathlib import Path

from harness.exit_codes import ExitCode

HELP = "show a built-in profile or check a profile file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The actions show, check and asyncapi, each with its own options."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print a built-in profile")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--resolved", action="store_true", help="print it merged, as JSON")
    check = actions.add_parser("check", help="validate a profile; rules it can verify")
    check.add_argument("spec", metavar="FILE|NAME")
    asyncapi = actions.add_parser("asyncapi", help="write the dialect as an AsyncAPI 3.0 doc")
    asyncapi.add_argument("spec", metavar="NAME|FILE")
    asyncapi.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    discover = actions.add_parser("discover", help="draft a profile by talking to a live server")
    discover.add_argument(
        "url", metavar="URL", help="the server's WebSocket or socket.io URL (ws:// or wss://)"
    )
    discover.add_argument(
        "--token",
        metavar="USER=JWT",
        help="a token to connect with; else one is minted with STABILITY_HARNESS_JWT_SECRET",
    )
    discover.add_argument(
        "--out",
        type=Path,
        default=Path("discovered.toml"),
        metavar="FILE",
        help="where the draft goes (default: discovered.toml)",
    )
    discover.add_argument(
        "--start",
        metavar="FILE",
        help="a profile whose [[setup]] calls open the URL's placeholders; the draft extends it",
    )
    discover.add_argument(
        "--serve",
        metavar="CMD",
        help="start the server with this shell command first ({port}: a free port, also in "
        "URL), stop it with SIGTERM after",
    )
    discover.add_argument(
        "--ready-line", metavar="REGEX", help="with --serve: ready when its output matches"
    )
    discover.add_argument(
        "--serve-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="with --serve: how long it may take to be ready (default 30)",
    )
    discover.add_argument(
        "--within",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="talk to the server for at most this long (default: 60)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the action."""
    from harness.run import inventory

    if args.action == "show":
        return inventory.profile_show_main(args.name, resolved=args.resolved)
    if args.action == "asyncapi":
        return inventory.profile_asyncapi_main(args.spec, args.out)
    if args.action == "discover":
        code = _served(args) if args.serve else _discover(args)
        return code if code is not None else inventory.profile_check_main(str(args.out))
    return inventory.profile_check_main(args.spec)


def _discover(args: argparse.Namespace) -> int | None:
    """Draft the profile into --out and print it; an exit code when it could not be drafted."""
    from harness.discover.draft import draft
    from harness.discover.probe import DiscoveryFailed, discover
    from harness.discover.routed import discover_routed
    from harness.discover.routed_draft import routed_draft
    from harness.errors import ConfigError
    from harness.wire.profile import load_profile

    if not args.url.startswith(("ws://", "wss://")):
        raise ConfigError(
            f"profile discover: URL must start with ws:// or wss://, not {args.url!r}"
        )
    if not 1.0 <= args.within <= 600.0:
        raise ConfigError(f"profile discover: --within must be 1 to 600 seconds, not {args.within}")
    if not args.out.parent.is_dir():
        raise ConfigError(f"profile discover: --out {args.out}: no folder {args.out.parent}")
    start = load_profile(args.start) if args.start is not None else None
    command = shlex.join(["stability-harness", "profile", "discover", args.url])
    token = _token(args, required=False)

    def fallback_limit(name: str) -> int:
        return int(load_profile(name).section("capabilities")["max_message_bytes"])

    try:
        routed = asyncio.run(discover_routed(args.url, token, args.within, start))
        if routed is None:
            token = token or _token(args, required=True)
            seen = asyncio.run(discover(args.url, token, args.within, fallback_limit))
    except DiscoveryFailed as exc:
        print(f"profile discover: {exc}", file=sys.stderr)
        return ExitCode.INCOMPLETE
    if routed is not None:
        _write(args, routed_draft(routed, start, command=command))
        return None
    from harness.discover.probe import closest

    base = load_profile(closest(seen.welcome) or "chat-agent/1")
    _write(args, draft(seen, base, static_token=args.token is not None, command=command))
    return None


def _served(args: argparse.Namespace) -> int | None:
    """`_discover` against the server `--serve` starts on a free port, stopped after."""
    from harness.errors import ConfigError
    from harness.run.served import NotReady, ServedProcess, free_port, with_port
    from harness.verdict.policy import ServePlan
    from harness.wire.redaction import Redactor
    from harness.wire.tokens import SECRET_ENV

    if "{port}" not in args.serve:
        raise ConfigError("profile discover: --serve CMD must say {port}, the port to serve on")
    plan = ServePlan(args.serve, ready_line=args.ready_line, timeout_s=args.serve_timeout)
    port = free_port()
    log = args.out.parent / "discover-served.log"
    secret = os.environ.get(SECRET_ENV)
    server = ServedProcess(plan, port, log, secret=secret, redactor=Redactor(secret))
    try:
        server.wait_ready()
        args.url = with_port(args.url, port)
        return _discover(args)
    except NotReady as exc:
        print(f"profile discover: --serve: {exc}", file=sys.stderr)
        return ExitCode.INCOMPLETE
    finally:
        server.stop()


def _write(args: argparse.Namespace, text: str) -> None:
    """Write the draft to --out and print it."""
    args.out.write_text(text, "utf-8")
    print(text)
    print(f"wrote {args.out}; profile check {args.out}:")


def _token(args: argparse.Namespace, *, required: bool) -> str:
    """The token to connect with: --token's, else one minted; "" when none and not required."""
    from harness.errors import ConfigError
    from harness.wire.tokens import SECRET_ENV, mint

    if args.token is not None:
        user, sep, token = args.token.partition("=")
        if not sep or not user or not token:
            raise ConfigError("profile discover: --token must be USER=JWT")
        return str(token)
    if os.environ.get(SECRET_ENV):
        return str(mint(os.environ[SECRET_ENV], "discover-user-1"))
    if required:
        raise ConfigError(f"profile discover: give --token USER=JWT or set {SECRET_ENV}")
    return ""
