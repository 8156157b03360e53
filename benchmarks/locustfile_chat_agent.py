"""A Locust user that drives chat-agent/1 turns, one WebSocket per user, as Locust users write one.

    BENCH_JWT_SECRET=... BENCH_TURNS=5000 BENCH_TURNS_PER_USER=50 \\
        locust -f benchmarks/locustfile_chat_agent.py --headless -u 100 -r 50 \\
        --run-time 120s --host ws://127.0.0.1:PORT/ws --csv OUT/locust

Run by benchmarks/locust_vs_load.py against the load phase. Each user mints its own
HS256 token (PyJWT), opens one WebSocket with `websocket-client` (blocking sockets that
Locust's gevent monkey-patching makes cooperative: no thread per connection, the client
locust-plugins' WebSocket users are built on), reads the welcome, then each task is one
turn: send the turn's request, read frames until the run's terminal. Each turn is two
Locust request events: "first delta" (response time: the send to the first agent event)
and "turn" (the send to the terminal; a failure unless the run completed), so Locust's
own statistics give the counts and the p95 (written to BENCH_STATS_FILE at the end).
A user stops after BENCH_TURNS_PER_USER turns (Locust replaces one that stops during the
ramp with a new user), and after BENCH_TURNS turns over all users every user stops and
the runner quits (what locust-plugins' `--iterations` does), so both tools run the same
turns on about as many connections (each user's "connect" event counts them);
`--run-time` remains the deadline. The frame names are in benchmarks/chat_turn.py.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import gevent
import jwt
import websocket
from chat_turn import (  # beside this file: Locust puts the locustfile's folder on sys.path
    ERROR,
    FIRST_DELTA,
    HANDSHAKE_WITHIN_S,
    LOCUST_CONNECT,
    LOCUST_FIRST_DELTA,
    LOCUST_TURN,
    LOCUST_TYPE,
    TURN_ACK,
    TURN_COMPLETED,
    TURN_TERMINALS,
    TURN_WITHIN_S,
    turn_request,
)
from locust import User, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

SECRET = os.environ["BENCH_JWT_SECRET"]
# The run's turns, over all users (0: until --run-time), as locust-plugins' --iterations
# counts them: a per-user count would not do, since Locust replaces a user that stops
# during the ramp with a new one.
TURNS = int(os.environ.get("BENCH_TURNS", "0"))
TURNS_PER_USER = int(os.environ.get("BENCH_TURNS_PER_USER", "0"))  # 0: no limit
_started = 0
_ended = 0
# Where Locust's own figures go at the end (its stats objects, its percentile method).
STATS_FILE = os.environ.get("BENCH_STATS_FILE")


@events.quitting.add_listener
def _write_stats(environment: Environment, **_kwargs: Any) -> None:
    if not STATS_FILE:
        return
    figures = {}
    for name in (LOCUST_CONNECT, LOCUST_FIRST_DELTA, LOCUST_TURN):
        entry = environment.stats.get(name, LOCUST_TYPE)
        figures[name] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
        }
    with open(STATS_FILE, "w", encoding="utf-8") as out:
        json.dump(figures, out)


class TurnFailed(Exception):
    """A turn that did not complete: the reason is its message."""


class ChatAgentUser(User):
    wait_time = constant(0)  # turns back to back, as the load phase runs its conversations

    def on_start(self) -> None:
        self.user_id = f"locust-{uuid.uuid4().hex[:16]}"
        self.turns = 0
        self.ws: websocket.WebSocket | None = None
        token = jwt.encode(
            {"sub": self.user_id, "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256"
        )
        began = time.perf_counter()
        try:
            self.ws = websocket.create_connection(
                self.host, header=[f"Authorization: Bearer {token}"], timeout=HANDSHAKE_WITHIN_S
            )
            welcome = json.loads(self.ws.recv())
        except (websocket.WebSocketException, OSError, ValueError) as exc:
            self._report(LOCUST_CONNECT, (time.perf_counter() - began) * 1000.0, exc)
            raise StopUser() from exc
        failed = None
        if welcome.get("type") != "connection_established":
            failed = TurnFailed(f"no welcome: {welcome.get('type')}")
        self._report(LOCUST_CONNECT, (time.perf_counter() - began) * 1000.0, failed)
        if failed is not None:
            raise StopUser()

    def on_stop(self) -> None:
        if self.ws is not None:
            self.ws.close()

    @task
    def turn(self) -> None:
        global _started
        if (TURNS and _started >= TURNS) or (TURNS_PER_USER and self.turns >= TURNS_PER_USER):
            raise StopUser()
        _started += 1
        self.turns += 1
        try:
            self._turn()
        finally:
            self._count_end()

    def _count_end(self) -> None:
        global _ended
        _ended += 1
        runner = self.environment.runner
        if TURNS and _ended == TURNS and runner is not None:
            gevent.spawn(runner.quit)  # the last turn has ended: end the run now

    def _turn(self) -> None:
        message_id = f"{self.user_id}-{self.turns}"
        sent = time.perf_counter()
        deadline = time.monotonic() + TURN_WITHIN_S
        first_ms: float | None = None
        assert self.ws is not None  # on_start stopped the user otherwise
        try:
            self.ws.send(json.dumps(turn_request(message_id)))
            run_id: Any = None
            while True:
                self.ws.settimeout(max(0.001, deadline - time.monotonic()))
                frame = json.loads(self.ws.recv())
                kind = frame.get("type")
                if frame.get("message_id") == message_id and kind in (TURN_ACK, ERROR):
                    if kind == ERROR:
                        raise TurnFailed(f"error frame {frame.get('error_code')}")
                    run_id = frame.get("run_id")
                    continue
                if run_id is None or frame.get("run_id") != run_id:
                    continue  # not this turn's
                if first_ms is None:
                    first_ms = (time.perf_counter() - sent) * 1000.0
                    self._report(LOCUST_FIRST_DELTA, first_ms, None)
                    if kind != FIRST_DELTA:
                        raise TurnFailed(f"first event {kind}")
                if kind in TURN_TERMINALS:
                    failed = None if kind == TURN_COMPLETED else TurnFailed(kind)
                    self._report(LOCUST_TURN, (time.perf_counter() - sent) * 1000.0, failed)
                    return
        except TurnFailed as exc:
            self._report(LOCUST_TURN, (time.perf_counter() - sent) * 1000.0, exc)
        except (websocket.WebSocketException, OSError, ValueError) as exc:
            # A timeout or a lost connection leaves the socket unusable: the user ends.
            self._report(LOCUST_TURN, (time.perf_counter() - sent) * 1000.0, exc)
            raise StopUser() from exc

    def _report(self, name: str, response_ms: float, exception: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type=LOCUST_TYPE,
            name=name,
            response_time=response_ms,
            response_length=0,
            exception=exception,
            context={},
        )
