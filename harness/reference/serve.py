"""`stability-harness serve` and `defects`: the reference server standalone, its defect list."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import secrets
import signal
from typing import Final

from harness.exit_codes import ExitCode
from harness.reference.auth import mint_token
from harness.reference.config import ServerConfig
from harness.reference.defects import ALL
from harness.reference.server import ReferenceServer
from harness.wire.tokens import SECRET_ENV

DEMO_USER: Final = "demo"
DEMO_TOKEN_S: Final = 24 * 3600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `serve`."""
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--jwt-secret", default=None, help="HS256 secret (default: random, printed)"
    )
    parser.add_argument(
        "--defect",
        action="append",
        default=[],
        metavar="NAME",
        help=f"switch on a defect of the catalogue (repeatable; {ALL!r} for every one)",
    )
    parser.add_argument("--think-ms", type=float, default=5.0, help="agent think delay (ms)")
    parser.add_argument("--tool-ms", type=float, default=5.0, help="agent tool delay (ms)")
    parser.add_argument(
        "--profile",
        default="chat-agent/1",
        metavar="NAME|FILE",
        help="the dialect to speak: a built-in profile (chat-agent/1, netra-2025-09, "
        "openai-realtime) or a file",
    )
    parser.add_argument(
        "--liberal",
        type=liberal_seed,
        default=None,
        metavar="SEED",
        help="take every freedom the protocol leaves open, chosen per connection by SEED",
    )
    parser.add_argument(
        "--seed",
        type=liberal_seed,
        default=0,
        metavar="N",
        help="what an llm-like agent draws its answers from (openai-realtime; default 0)",
    )
    parser.add_argument(
        "--send-before-welcome",
        action="append",
        default=[],
        metavar="JSON",
        help="send this text frame on every connection before the welcome (repeatable): a "
        "notice that a profile may declare",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="max messages per minute (the profile's)"
    )
    parser.add_argument(
        "--max-bytes", type=int, default=None, help="max message bytes (the profile's)"
    )
    parser.add_argument(
        "--max-connections-per-user",
        type=int,
        default=None,
        help="open connections per user (the profile's)",
    )


def config_from(args: argparse.Namespace) -> ServerConfig:
    """The server configuration of parsed `serve` options (ConfigError for a bad one).

    The secret comes from --jwt-secret, else from the environment (how the harness
    passes it), else it is random (and then printed, so a user can mint tokens).
    """
    return ServerConfig(
        jwt_secret=args.jwt_secret or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32),
        defects=frozenset(args.defect),
        think_ms=args.think_ms,
        tool_ms=args.tool_ms,
        rate_limit=args.rate_limit,
        max_bytes=args.max_bytes,
        max_connections_per_user=args.max_connections_per_user,
        host=args.host,
        port=args.port,
        profile=args.profile,
        liberal=args.liberal,
        seed=args.seed,
        before_welcome=tuple(args.send_before_welcome),
    )


def liberal_seed(text: str) -> int:
    """A --liberal seed: an integer >= 0."""
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"a seed is an integer >= 0, not {text!r}")
    return int(text)


def main(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM, then close clients with 1001; the exit code (0)."""
    generated = not (args.jwt_secret or os.environ.get(SECRET_ENV))
    raise_open_files()
    return asyncio.run(_serve(config_from(args), print_secret=generated))


def raise_open_files() -> None:
    """Raise the open-file soft limit to the hard limit: every connection holds a descriptor.

    A shell's usual soft limit (1024) would refuse a load test's connections past about
    a thousand; the hard limit is what the system allows this process without privileges.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard and hard != resource.RLIM_INFINITY:
        with contextlib.suppress(ValueError, OSError):  # refused: the soft limit stays
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _serve(config: ServerConfig, *, print_secret: bool) -> int:
    server = ReferenceServer(config)
    await server.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    defects = ",".join(sorted(config.defects)) or "none"
    lines = [
        f"url: {server.ws_url}",
        f"http: {server.http_url}",
        f"user: {DEMO_USER}",
        f"token: {mint_token(config.jwt_secret, DEMO_USER, exp_in=DEMO_TOKEN_S)}",
        f"defects: {defects}",
        f"profile: {config.dialect.name}",
    ]
    if config.liberal is not None:
        lines.append(f"liberal: {config.liberal}")
    if print_secret:
        lines.append(f"secret: {config.jwt_secret}")  # generated: the user needs it
    print("\n".join(lines), flush=True)
    try:
        await stopping.wait()
    finally:
        await server.stop()
    return ExitCode.OK
