"""Replay each capture for fresh users and judge the target's frames against the recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.suite_api import (
    SHORT_WITHIN_S,
    WELCOME_KEY,
    CheckFailed,
    Evidence,
    Player,
    ReplayOptions,
    Target,
    Transcript,
    UserFactory,
    known_cause,
    load_capture,
    load_profile,
    needs,
)

from .captures import REPLAY_RULES, capture_paths, header_profile, header_rules

pytestmark = pytest.mark.asyncio
# A capture recorded in chat-agent/1 speaks its requests (ping, user_message, acks,
# threads); a capture of another dialect (Chainlit's socket.io events) replays its own.
CHAT_AGENT = "chat-agent/1"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "capture_path" not in metafunc.fixturenames:
        return
    params = [
        pytest.param(
            str(path),
            id=path.stem,
            marks=[
                pytest.mark.rules(*REPLAY_RULES, *header_rules(path)),
                pytest.mark.requires_profile(header_profile(path)),
                *([needs("chat_requests")] if header_profile(path) == CHAT_AGENT else []),
            ],
        )
        for path in capture_paths(metafunc.config)
    ]
    metafunc.parametrize("capture_path", params)


async def test_capture_replays_as_recorded(
    capture_path: str,
    target: Target,
    users: UserFactory,
    evidence: Evidence,
    transcript: Transcript,
    request: pytest.FixtureRequest,
) -> None:
    """Every connection of the capture again: the first divergence fails, both frames shown."""
    capture = load_capture(Path(capture_path))
    config = request.config

    def new_user() -> tuple[str, str]:
        user = users.new("replay")
        return user.id, user.token

    player = Player(
        capture,
        target.ws_url,
        load_profile(capture.header.profile),
        new_user,
        ReplayOptions(
            pacing=config.getoption("harness_replay_pacing"),
            speed=config.getoption("harness_replay_speed"),
            # A welcome an earlier test waited for in vain is not waited for in full again.
            **({"step_within_s": SHORT_WITHIN_S} if known_cause(config, WELCOME_KEY) else {}),
        ),
        transcript,
    )
    result = await player.run()
    mismatch = result.first_mismatch
    name = Path(capture_path).name
    if mismatch is None:
        evidence.record("8.replay.frame-types", sent=name, expected="as recorded", observed="same")
    else:
        evidence.record(
            "8.replay.frame-types",
            sent=name,
            expected=mismatch.recorded_frame or {mismatch.field: mismatch.recorded},
            observed=mismatch.replayed_frame or {mismatch.field: mismatch.replayed},
        )
    if mismatch is not None:
        raise CheckFailed(
            f"replay of {name}: {mismatch.describe()}",
            expected=mismatch.recorded_frame or mismatch.recorded,
            observed=mismatch.replayed_frame or mismatch.replayed,
        )
