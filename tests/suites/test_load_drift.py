"""The soak's drift: the last window's p95 time to agent_started over the first's, with
windows under 50 ms taken as 50 ms (docs/POLICY.md, load_soak_drift_ratio)."""

from __future__ import annotations

from typing import Any

import pytest

from suites.load.crowd import Conversation, Crowd, Session, Shape
from suites.load.tally import record_runs


class Recorded:
    """The samples a tally records, by metric (what the plugin's `metrics` fixture keeps)."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}

    def record(self, name: str, value: float, unit: str = "", **_: Any) -> None:
        self.samples.setdefault(name, []).append(value)


def soak(first_ms: float, last_ms: float) -> Crowd:
    """A 10 s soak in five 2 s windows: ten runs a window, the first window's at
    `first_ms`, the last's at `last_ms`, the others in between at 40 ms."""
    times = [first_ms, 40.0, 40.0, 40.0, last_ms]
    session = Session(0, user_id="u-0", handshake_ms=3.0)
    for window, ms in enumerate(times):
        for n in range(10):
            session.conversations.append(
                Conversation(started=window * 2.0 + n * 0.1, first_event_ms=ms, run_ms=ms + 5)
            )
    return Crowd(Shape(users=1, conversations=1, ramp_s=0.0, soak_s=10.0), [session], 10.0)


@pytest.mark.parametrize(
    ("first_ms", "last_ms", "ratio"),
    [
        pytest.param(3.0, 12.0, 1.0, id="fast-and-noisy-is-no-drift"),
        pytest.param(40.0, 200.0, 4.0, id="slowing-past-the-floor"),
        pytest.param(100.0, 400.0, 4.0, id="slowing-slow-target"),
        pytest.param(400.0, 100.0, 0.25, id="faster-at-the-end"),
        pytest.param(100.0, 100.0, 1.0, id="steady"),
    ],
)
def test_drift_is_the_last_window_over_the_first_with_a_floor(
    first_ms: float, last_ms: float, ratio: float
) -> None:
    metrics = Recorded()
    record_runs(soak(first_ms, last_ms), metrics)
    assert metrics.samples["load_soak_window_p95_ms"] == [first_ms, 40.0, 40.0, 40.0, last_ms]
    assert metrics.samples["load_soak_drift_ratio"] == [ratio]
    assert metrics.samples["load_soak_window_errors"] == [0, 0, 0, 0, 0]
