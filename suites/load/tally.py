"""What a crowd measured: metric samples for the policy's budgets, and its failures as counts."""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from harness.suite_api import Metrics
from harness.suite_api import protocol as P
from suites.load.crowd import Crowd

HANDSHAKE: Final = "load_handshake_ms"
FIRST_EVENT: Final = "load_first_event_ms"
RUN: Final = "load_run_ms"
FIRST_TEXT: Final = "load_first_text_ms"  # over turns: the first text of each
FRAMES_PER_S: Final = "load_frames_per_s"
ERROR_RATE: Final = "load_error_rate"
CONTAMINATION: Final = "load_contamination"
CLOSE_CODE: Final = "load_close_code"
USERS: Final = "load_users"  # one sample per shard: how many users it ran
RSS_START: Final = "load_server_rss_start_kb"
RSS_END: Final = "load_server_rss_end_kb"
CPU: Final = "load_server_cpu_s"
WINDOW: Final = "load_soak_window_s"
WINDOW_P95: Final = "load_soak_window_p95_ms"
WINDOW_ERRORS: Final = "load_soak_window_errors"
DRIFT: Final = "load_soak_drift_ratio"
DRIFT_FLOOR_MS: Final = 50.0
NO_CLOSE_FRAME: Final = 0  # the close-code sample of a connection that ended without one


def record_runs(crowd: Crowd, metrics: Metrics) -> None:
    """Record every sample but contamination: times, error rate, closes, frames/s, RSS, soak."""
    metrics.record(USERS, len(crowd.sessions), "users")
    frames = 0
    for session in crowd.sessions:
        if session.refused is not None:
            failed = 1 if crowd.shape.soak_s else crowd.shape.conversations
            for _ in range(failed):
                metrics.record(ERROR_RATE, 1.0, "ratio")
            continue
        assert session.handshake_ms is not None
        metrics.record(HANDSHAKE, session.handshake_ms, "ms")
        frames += session.frames + 1  # and its connection_established
        for run in session.conversations:
            if run.first_event_ms is not None:
                metrics.record(FIRST_EVENT, run.first_event_ms, "ms")
            if run.run_ms is not None:
                metrics.record(RUN, run.run_ms, "ms")
            if run.first_text_ms is not None:
                metrics.record(FIRST_TEXT, run.first_text_ms, "ms")
            metrics.record(ERROR_RATE, 0.0 if run.error is None else 1.0, "ratio")
        code = session.close_code if session.close_code is not None else NO_CLOSE_FRAME
        metrics.record(CLOSE_CODE, code, "code")
    if crowd.elapsed_s > 0:
        metrics.record(FRAMES_PER_S, frames / crowd.elapsed_s, "frames/s")
    if crowd.rss_start_kb is not None and crowd.rss_end_kb is not None:
        metrics.record(RSS_START, crowd.rss_start_kb, "kB")
        metrics.record(RSS_END, crowd.rss_end_kb, "kB")
    if crowd.cpu_s is not None:
        metrics.record(CPU, crowd.cpu_s, "s")
    if crowd.shape.soak_s:
        _record_windows(crowd, metrics)


def _record_windows(crowd: Crowd, metrics: Metrics) -> None:
    """Per soak window: p95 of the time to agent_started and the failed conversations."""
    width = crowd.shape.window_s
    count = max(1, round(crowd.shape.soak_s / width))
    times: list[list[float]] = [[] for _ in range(count)]
    errors = [0] * count
    for session in crowd.sessions:
        for run in session.conversations:
            window = min(int(run.started // width), count - 1)
            if run.first_event_ms is not None:
                times[window].append(run.first_event_ms)
            if run.error is not None:
                errors[window] += 1
    metrics.record(WINDOW, width, "s")
    for value in errors:
        metrics.record(WINDOW_ERRORS, value, "conversations")
    if not all(times):
        return  # a window in which no run started has no p95: the per-window p95s would not align
    p95s = [_p95(samples) for samples in times]
    for p95 in p95s:
        metrics.record(WINDOW_P95, p95, "ms")
    if len(p95s) >= 2:
        metrics.record(DRIFT, drift(p95s[0], p95s[-1]), "ratio")


def drift(first_p95_ms: float, last_p95_ms: float) -> float:
    """The last window's p95 over the first's, each taken as at least DRIFT_FLOOR_MS: below
    that a change is the machine's noise (3 ms to 12 ms is 4 times, and no user sees it),
    so a fast target that stays fast drifts 1.0, and a slowing one shows as it slows."""
    return max(last_p95_ms, DRIFT_FLOOR_MS) / max(first_p95_ms, DRIFT_FLOOR_MS)


def _p95(samples: list[float]) -> float:
    """The nearest-rank 95th percentile (the verdict's own method)."""
    ordered = sorted(samples)
    return ordered[-(-95 * len(ordered) // 100) - 1]


def record_contamination(crowd: Crowd, metrics: Metrics) -> None:
    """One sample per open connection: how many events of other users' runs it received."""
    for session in crowd.sessions:
        if session.refused is None:
            metrics.record(CONTAMINATION, session.foreign, "events")


def run_failures(crowd: Crowd) -> list[str]:
    """The crowd's failures as counts by kind (empty when every user ran every conversation)."""
    sessions = crowd.sessions
    refused = Counter(s.refused for s in sessions if s.refused is not None)
    runs = [run for s in sessions for run in s.conversations]
    failed = Counter(run.error for run in runs if run.error is not None)
    error_frames: Counter[str] = Counter()
    for session in sessions:
        error_frames.update(session.error_frames)
    ended = Counter(s.end_failure for s in sessions if s.end_failure is not None)
    problems = []
    if refused:
        problems.append(
            f"{sum(refused.values())} of {len(sessions)} users could not connect "
            f"({_counts(refused)})"
        )
    if failed:
        problems.append(
            f"{sum(failed.values())} of {len(runs)} conversations failed ({_counts(failed)})"
        )
    if error_frames:
        problems.append(f"{sum(error_frames.values())} error frames ({_counts(error_frames)})")
    if ended:
        problems.append(f"{sum(ended.values())} connections ended badly ({_counts(ended)})")
    return problems


def undeclared_closes(crowd: Crowd, declared: tuple[int, ...]) -> str | None:
    """The connections the server closed with a code the profile does not declare (1011 and
    a drop without a close frame are `run_failures`' own), as counts; None when none was."""
    codes = Counter(
        str(s.close_code)
        for s in crowd.sessions
        if s.close_code is not None and s.close_code not in (P.CLOSE_INTERNAL_ERROR, *declared)
    )
    if not codes:
        return None
    return f"{sum(codes.values())} connections closed with undeclared codes ({_counts(codes)})"


def close_counts(crowd: Crowd) -> str:
    """The server's close codes over every connection, as `code x count`."""
    codes = Counter(
        "none" if s.close_code is None else str(s.close_code)
        for s in crowd.sessions
        if s.refused is None
    )
    return _counts(codes) or "no connection"


RUN_EVENTS: Final = "events of another user's run (or of no run of the connection)"
TURN_FRAMES: Final = "frames of a turn the connection did not ask for"


def contamination(crowd: Crowd, what: str = RUN_EVENTS) -> str | None:
    """The foreign events (or frames, `what`) as counts and a few examples, None when there
    were none."""
    hit = [s for s in crowd.sessions if s.foreign]
    if not hit:
        return None
    total = sum(s.foreign for s in hit)
    opened = sum(1 for s in crowd.sessions if s.refused is None)
    examples = [_example(s.index, s.examples[0]) for s in hit[:5]]
    return f"{total} {what} on {len(hit)} of {opened} connections, e.g. {examples}"


def _example(index: int, event: dict[str, Any]) -> str:
    if "turn" in event:  # a frame of a turn, as suites/load/turn_crowd.py describes it
        return f"user {index} got {event.get('type')} of turn {event['turn']}: {event['what']}"
    return (
        f"user {index} got {event.get('type')} of run {event.get('run_id')} "
        f"user {event.get('user_id')}"
    )


def _counts(counter: Counter[Any]) -> str:
    return ", ".join(f"{key} x {count}" for key, count in counter.most_common())
