"""A crowd of synthetic users on one event loop: each holds a connection and runs conversations.

Every wait is bounded twice: by the conversation's own deadline and by the crowd's
deadline (ramp + handshake + conversations x per-run deadline, or the soak), so a
crowd ends by itself whatever the target does. Frames are counted, not kept: an
agent event is kept only when it does not belong to the connection's own runs
(the contamination evidence).
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from harness.suite_api import (
    CheckFailed,
    Client,
    Target,
    Transcript,
    UserFactory,
    open_client,
    process_usage,
)
from harness.suite_api import protocol as P

Frame = dict[str, Any]

HANDSHAKE_WITHIN_S: Final = 10.0
# Generous: with `slow-first-event` agent_started comes 1.5 s late, which the budget judges.
RUN_WITHIN_S: Final = 15.0
# A soaking user starts at most one conversation a second: a chat user's pace, well under
# any rate limit, and a bounded number of samples (an hour of 200 users: 720,000).
SOAK_PACE_S: Final = 1.0
# Long enough for leaked events of the last runs to reach a connection that went idle.
QUIET_WINDOW_S: Final = 0.3
CLOSE_WITHIN_S: Final = 5.0
OPEN_SLACK_S: Final = 1.0
DEADLINE_MARGIN_S: Final = 10.0
MAX_EXAMPLES: Final = 5
FILES_SPARE: Final = 256  # descriptors besides one per user: the interpreter's, pytest's
WINDOW_S: Final = 60.0
MIN_WINDOWS: Final = 5
CONTENT: Final = "What is 2+3?"


@dataclass(frozen=True, slots=True)
class Shape:
    """How many users, how many conversations each, ramp and soak seconds, this shard's users."""

    users: int
    conversations: int
    ramp_s: float
    soak_s: float = 0.0
    share: range | None = None  # with `run --shard I/N`: the users this shard runs
    # How long a user waits for its connection and welcome: short once the run knows the
    # target sends no welcome (an earlier test waited a whole deadline for it).
    handshake_within_s: float = HANDSHAKE_WITHIN_S
    # How long one conversation may take: short once the run knows the target never acks
    # a user_message or never ends a run (an earlier test waited a whole deadline for it).
    run_within_s: float = RUN_WITHIN_S

    @property
    def mine(self) -> range:
        """The indexes of the users this process runs (all of them unless sharded)."""
        return self.share if self.share is not None else range(self.users)

    @property
    def deadline_s(self) -> float:
        """How long the whole crowd may take before it stops by itself."""
        run = self.run_within_s
        busy = self.soak_s + run if self.soak_s else self.conversations * run
        return self.ramp_s + self.handshake_within_s + busy + QUIET_WINDOW_S + CLOSE_WITHIN_S

    @property
    def window_s(self) -> float:
        """The soak's window: a minute, shorter when the soak lasts under MIN_WINDOWS minutes."""
        return min(WINDOW_S, self.soak_s / MIN_WINDOWS) if self.soak_s else 0.0


@dataclass(slots=True)
class Conversation:
    """One agent run of one user: when it started, its times, or why it failed."""

    started: float  # seconds since the crowd started
    first_event_ms: float | None = None  # agent_started (over turns: the turn's first frame)
    run_ms: float | None = None  # its end (over turns: the terminal)
    first_text_ms: float | None = None  # over turns: its first text (a delta, or whole)
    error: str | None = None  # a short kind: "timeout", "closed", "error-frame CODE", ...


@dataclass(slots=True)
class Session:
    """What one user's connection saw."""

    index: int
    user_id: str = ""
    handshake_ms: float | None = None
    refused: str | None = None  # why the connection could not be opened
    conversations: list[Conversation] = field(default_factory=list)
    frames: int = 0
    error_frames: Counter[str] = field(default_factory=Counter)
    close_code: int | None = None  # the server's close code (None: no close frame)
    end_failure: str | None = None  # close 1011 or a drop without a close frame
    foreign: int = 0  # events of another user's run, or of no run of this connection
    examples: list[Frame] = field(default_factory=list)  # the first few foreign events
    runs: dict[str, Any] = field(default_factory=dict)  # run_id -> thread_id of its ack
    pending: list[Frame] = field(default_factory=list)  # this user's events of no run yet

    def sort(self, event: Frame) -> None:
        """Count an event of another user at once; keep this user's for when its acks are in."""
        if event.get("user_id") != self.user_id:
            self.count_foreign(event)
        else:
            self.pending.append(event)

    def classify(self) -> None:
        """Count as foreign every kept event of no run of this connection or of another thread."""
        for event in self.pending:
            run = str(event.get("run_id"))
            if run not in self.runs or event.get("thread_id") != self.runs[run]:
                self.count_foreign(event)
        self.pending = []

    def count_foreign(self, event: Frame) -> None:
        """Count a frame that belongs to no request of this connection (kept as an example)."""
        self.foreign += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(event)


@dataclass(slots=True)
class Crowd:
    """Every session of one crowd run, its wall time, the server's RSS around it and the CPU
    time it used meanwhile (a target the harness started: embedded or served)."""

    shape: Shape
    sessions: list[Session]
    elapsed_s: float
    rss_start_kb: float | None = None
    rss_end_kb: float | None = None
    cpu_s: float | None = None


class _Unrecorded(Transcript):
    """A transcript that keeps nothing: a crowd's frames are counted, not kept."""

    keeps = False

    def add(self, direction: str, **fields: Any) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Talk:
    """One conversation to run: its record, its number on the connection, the crowd's
    deadline (time.monotonic()) and its own (seconds)."""

    conversation: Conversation
    number: int
    deadline: float
    within: float


class Runs(Protocol):
    """How a crowd's users converse: chat-agent/1's agent runs (`ChatRuns`), or turns in the
    target's own dialect (suites/load/turn_crowd.py)."""

    async def converse(self, client: Client, session: Session, talk: Talk) -> None:
        """Run one conversation of `session` on its connection, bounded by both deadlines."""

    async def settle(self, session: Session, client: Client) -> None:
        """Read the connection's late frames once the crowd is done (after its quiet window)."""

    def finish(self, session: Session) -> None:
        """Judge what is left once the connection is closed (the foreign frames)."""


class ChatRuns:
    """chat-agent/1's agent runs: a user_message, its ack and the run's events."""

    async def converse(self, client: Client, session: Session, talk: Talk) -> None:
        mid = f"load-{session.index}-{talk.number}"
        await _converse(client, session, talk.conversation, mid, talk.deadline, talk.within)

    async def settle(self, session: Session, client: Client) -> None:
        late = await client.quiet(0.0)
        session.frames += len(late)
        for frame in late:
            if frame.get("type") in P.AGENT_EVENTS:
                session.sort(frame)

    def finish(self, session: Session) -> None:
        session.classify()


def run_crowd(
    target: Target, shape: Shape, server_pid: int | None = None, runs: Runs | None = None
) -> Crowd:
    """Run the crowd on a fresh event loop (uvloop's when it is installed): chat-agent/1's
    agent runs unless `runs` says otherwise."""
    _allow_files(len(shape.mine) + FILES_SPARE)
    done: list[Crowd] = []

    async def crowd() -> None:
        # The crowd is not the task's result: Python 3.11's asyncio.Runner formats its
        # main task (result included) when it restores the SIGINT handler, which for a
        # crowd of 100 x 50 costs 35 ms of CPU twice.
        done.append(await _crowd(target, shape, server_pid, runs or ChatRuns()))

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(crowd())
    return done[0]


def _allow_files(needed: int) -> None:
    """Raise the open-file soft limit toward `needed` (up to the hard limit): a connection
    the harness could not open for want of a descriptor would count against the target."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def _crowd(target: Target, shape: Shape, server_pid: int | None, runs: Runs) -> Crowd:
    users = UserFactory(target)
    start = time.monotonic()
    deadline = start + shape.deadline_s
    before = process_usage(server_pid)
    mine = shape.mine
    step = shape.ramp_s / len(mine) if mine else 0.0
    clients: list[Client] = []
    sessions = [Session(index) for index in mine]
    jobs: list[Coroutine[Any, Any, None]] = [
        _session(s, n * step, start, deadline, shape, target, users, clients, runs)
        for n, s in enumerate(sessions)
    ]
    # Every wait inside is bounded by `deadline`; this bound only guards against a bug.
    async with asyncio.timeout(shape.deadline_s + DEADLINE_MARGIN_S):
        await asyncio.gather(*jobs)
        elapsed = time.monotonic() - start
        after = process_usage(server_pid)
        await asyncio.sleep(QUIET_WINDOW_S)
        for session, client in _pairs(sessions, clients):
            await runs.settle(session, client)
        await asyncio.gather(*(_close(client) for client in clients))
    for session, client in _pairs(sessions, clients):
        session.close_code = client.close_code
        session.end_failure = client.end_failure()
        runs.finish(session)
    if before is None or after is None:
        return Crowd(shape, sessions, elapsed)
    return Crowd(shape, sessions, elapsed, before.rss_kb, after.rss_kb, after.cpu_s - before.cpu_s)


def _pairs(sessions: list[Session], clients: list[Client]) -> list[tuple[Session, Client]]:
    by_user = {s.user_id: s for s in sessions}
    return [(by_user[c.user.id], c) for c in clients if c.user is not None]


async def _close(client: Client) -> None:
    try:
        await asyncio.wait_for(client.close(), CLOSE_WITHIN_S)
    except (TimeoutError, OSError):
        return


async def _session(
    session: Session,
    delay: float,
    start: float,
    deadline: float,
    shape: Shape,
    target: Target,
    users: UserFactory,
    clients: list[Client],
    runs: Runs,
) -> None:
    await asyncio.sleep(delay)
    user = users.new("load")
    session.user_id = user.id
    began = time.perf_counter()
    within = max(0.0, min(shape.handshake_within_s, deadline - time.monotonic()))
    try:
        # The profile's set-up calls (REST, before the handshake) have deadlines of their
        # own: the whole opening is bounded too, a moment after the handshake's deadline.
        async with asyncio.timeout(within + OPEN_SLACK_S):
            client = await open_client(
                target.ws_url, user, _Unrecorded(), within=within, profile=target.profile
            )
    except CheckFailed as exc:
        session.refused = why(exc)
        return
    except TimeoutError:
        session.refused = "timeout"
        return
    session.handshake_ms = (time.perf_counter() - began) * 1000.0
    clients.append(client)
    soak_end = start + shape.soak_s
    number = 0
    while True:
        if shape.soak_s:
            if time.monotonic() >= soak_end:
                break
        elif number >= shape.conversations:
            break
        opened = time.monotonic()
        conversation = Conversation(started=opened - start)
        session.conversations.append(conversation)
        talk = Talk(conversation, number, deadline, shape.run_within_s)
        await runs.converse(client, session, talk)
        number += 1
        client.frames.clear()  # counted already; a soak would otherwise keep every frame
        if client.closed:
            break
        if shape.soak_s:
            await asyncio.sleep(max(0.0, min(opened + SOAK_PACE_S, soak_end) - time.monotonic()))


async def _converse(
    client: Client,
    session: Session,
    conversation: Conversation,
    mid: str,
    deadline: float,
    within: float = RUN_WITHIN_S,
) -> None:
    """One agent run: a user_message, its ack, every event of the run up to its end (read
    as the frames arrive, in one wait: `Client.consume`)."""
    sent = time.perf_counter()
    run_deadline = min(time.monotonic() + within, deadline)
    run_id: Any = None

    def read(frame: Frame) -> bool:
        """One frame of the conversation: True once it is over (ended, or failed)."""
        nonlocal run_id
        session.frames += 1
        kind = frame.get("type")
        if kind == P.ERROR:
            code = str(frame.get("error_code"))
            session.error_frames[code] += 1
            if frame.get("message_id") == mid:
                conversation.error = f"error-frame {code}"
                return True
        elif kind in P.DIRECT_REPLIES and frame.get("message_id") == mid:
            if kind != P.ACK:
                conversation.error = f"reply {kind}"
                return True
            run_id = frame.get("run_id")
            session.runs[str(run_id)] = frame.get("thread_id")
        elif kind in P.AGENT_EVENTS:
            if run_id is None or frame.get("run_id") != run_id:
                session.sort(frame)
                return False
            if conversation.first_event_ms is None:
                conversation.first_event_ms = (time.perf_counter() - sent) * 1000.0
                if kind != P.AGENT_STARTED:
                    conversation.error = f"first event {kind}"
                    return True
            if kind == P.AGENT_ERROR:
                conversation.error = "agent_error"
                return True
            if kind in P.TERMINAL_EVENTS:
                conversation.run_ms = (time.perf_counter() - sent) * 1000.0
                return True
        return False

    try:
        await client.send(
            {"type": P.USER_MESSAGE, "message_id": mid, "payload": {"content": CONTENT}}
        )
        await client.consume(
            read,
            f"the ack of {mid!r} and its run's events up to {' or '.join(P.TERMINAL_EVENTS)}",
            within=max(0.0, run_deadline - time.monotonic()),
        )
    except CheckFailed as exc:
        conversation.error = why(exc)


def why(exc: CheckFailed) -> str:
    """A failure's kind, short enough to count: timeout, closed (with its code), refused..."""
    observed = str(exc.observed)
    if observed.startswith("connection closed"):
        return observed.split(";")[0].replace("connection closed: ", "closed ")
    if "within" in str(exc.expected) and "nothing matching" in observed:
        return "timeout"
    if exc.what == "opening a connection":
        return "refused"
    return exc.what
