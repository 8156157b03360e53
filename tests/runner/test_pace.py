"""`-n auto` by the target's pace: one timed agent run decides how many workers start."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from harness.reference import ServerConfig, start_in_thread
from harness.run.pace import auto_workers, probe
from harness.wire.profile import load_profile
from harness.wire.target import Target, parse_tokens
from tests.hostile.test_runs import start


def test_a_fast_or_unknown_pace_starts_two_workers_per_cpu() -> None:
    assert auto_workers(None, cpus=2) == 4
    assert auto_workers(0.018, cpus=2) == 4
    assert auto_workers(0.25, cpus=2) == 4


def test_a_slow_pace_starts_more_workers_up_to_eight_per_cpu() -> None:
    assert auto_workers(0.3, cpus=2) == 6
    assert auto_workers(0.5, cpus=2) == 8
    assert auto_workers(1.52, cpus=2) == 16
    assert auto_workers(30.0, cpus=1) == 8


@contextmanager
def reference(*defects: str, profile: str | None = None) -> Iterator[Target]:
    secret = secrets.token_urlsafe(24)
    dialect = profile or "chat-agent/1"
    server = start_in_thread(
        ServerConfig(jwt_secret=secret, defects=frozenset(defects), profile=dialect)
    )
    try:
        yield Target.from_url(server.ws_url, secret=secret, profile=load_profile(profile))
    finally:
        server.stop()


def test_the_probe_times_one_run_of_a_fast_target() -> None:
    with reference() as target:
        seconds = probe(target)
    assert seconds is not None and 0 < seconds < 1.5


def test_the_probe_times_one_turn_of_a_dialect_without_chat_requests() -> None:
    # openai-realtime has no start_agent: the probe asks for a turn in its dialect.
    with reference(profile="openai-realtime") as target:
        seconds = probe(target)
    assert seconds is not None and 0 < seconds < 1.5


def test_the_probe_sees_a_slow_first_event() -> None:
    # slow-first-event delays every run's agent_started by 1.5 s (docs/REFERENCE_SERVER.md).
    with reference("slow-first-event") as target:
        seconds = probe(target)
    assert seconds is not None and 1.5 <= seconds < 3.0


def test_a_target_that_never_answers_counts_as_the_probe_deadline() -> None:
    server, url = start("silent")  # the welcome, then no reply to anything
    try:
        target = Target.from_url(url, secret="s" * 32, profile=load_profile(None))
        assert probe(target, within=0.5) == 0.5
    finally:
        server.kill()
        server.wait(5)


def test_a_target_that_breaks_the_handshake_has_no_pace() -> None:
    server, url = start("garbage")  # answers every frame with text that is not JSON
    try:
        target = Target.from_url(url, secret="s" * 32, profile=load_profile(None))
        assert probe(target, within=0.5) is None
    finally:
        server.kill()
        server.wait(5)


def test_no_probe_without_a_fresh_user() -> None:
    with reference() as target:
        given = Target.from_url(
            target.ws_url, tokens=parse_tokens(("alice=x.y.z",)), profile=load_profile(None)
        )
        assert probe(given) is None
