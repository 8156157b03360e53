"""The embedded target: a reference server in a process of its own, as a `Target`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from harness.reference import ServerConfig, start_subprocess
from harness.wire.profile import Profile
from harness.wire.target import EMBEDDED, Target


@contextmanager
def embedded_target(
    secret: str,
    defects: frozenset[str],
    spec: str,
    profile: Profile,
    liberal: int | None,
) -> Iterator[tuple[Target, int]]:
    """Start the reference server (`spec`: its dialect; its defects and liberal seed) and
    yield it as a Target with the server process's pid; stopped on exit.

    A process of its own: what the target logs (a defect's crash) stays off the harness's
    console, and the server never shares an interpreter with the harness or the tests
    (CPython 3.11.7 crashes when two threads build ASTs at once, gh-106905).
    """
    config = ServerConfig(jwt_secret=secret, defects=defects, profile=spec, liberal=liberal)
    with start_subprocess(config) as server:
        target = Target.from_url(
            server.ws_url,
            secret=secret,
            kind=EMBEDDED,
            defects=defects,
            profile=profile,
            liberal=liberal,
        )
        yield target, server.pid
