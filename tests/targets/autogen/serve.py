"""Serve AutoGen Studio with the project's team: `python tests/targets/autogen/serve.py
--port PORT --appdir DIR [--team clean|broken|exhausted] [--defect leak|second-result]`
(from any folder).

Runs AutoGen Studio's own app (autogenstudio.web.app) under uvicorn in this process, as
`autogenstudio ui` does but with its settings in the environment rather than in a file
under the home folder (two servers at once do not share one). Once the app answers, it
makes the team the guest user's first (POST /api/teams/) and prints READY_LINE: the
`autogen-studio` profile's set-up calls run that team. SIGTERM stops it (uvicorn's own
shutdown).

`--defect` makes it a deliberately broken server, for tests only: it wraps AutoGen
Studio's connection manager (`WebSocketManager._send_message`, the one way its frames
reach a run's socket). `leak` also sends every frame of a run to the socket of the run
connected before it, while that one is open (one session's turn shows in another);
`second-result` sends a turn's `result` frame twice (a second terminal).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))
from team import broken_team, clean_team, exhausted_team

READY_LINE: Final = "autogen team ready"
GUEST: Final = "guestuser@gmail.com"
TEAMS: Final = {"clean": clean_team, "broken": broken_team, "exhausted": exhausted_team}
DEFECTS: Final = ("leak", "second-result")


def _seed(port: int, team: str, within: float = 120.0) -> None:
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/api/version", timeout=2.0):
                break
        except OSError:
            time.sleep(0.2)
    body = json.dumps({"user_id": GUEST, "component": TEAMS[team]()}).encode()
    request = urllib.request.Request(
        base + "/api/teams/", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10.0) as reply:
        team_id = json.loads(reply.read())["data"]["id"]
    print(f"{READY_LINE}: team {team} is {GUEST}'s team {team_id}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--appdir", required=True)
    parser.add_argument("--team", choices=sorted(TEAMS), default="clean")
    parser.add_argument("--defect", choices=DEFECTS, default="")
    args = parser.parse_args()
    os.environ.update(
        {
            "AUTOGENSTUDIO_HOST": "127.0.0.1",
            "AUTOGENSTUDIO_PORT": str(args.port),
            "AUTOGENSTUDIO_API_DOCS": "False",
            "AUTOGENSTUDIO_APPDIR": args.appdir,
        }
    )
    import uvicorn

    if args.defect:
        _break(args.defect)
    threading.Thread(target=_seed, args=(args.port, args.team), daemon=True).start()
    uvicorn.run("autogenstudio.web.app:app", host="127.0.0.1", port=args.port, log_level="info")


def _break(defect: str) -> None:
    """Wrap the connection manager's send of a frame to a run's socket with `defect`."""
    from autogenstudio.web.managers.connection import WebSocketManager

    send = WebSocketManager._send_message
    runs: list[int] = []  # every run a frame was sent to, in the order they came

    async def broken_send(self: Any, run_id: int, message: dict[str, Any]) -> None:
        await send(self, run_id, message)
        if defect == "second-result" and message.get("type") == "result":
            await send(self, run_id, message)
        if defect == "leak":
            if run_id not in runs:
                runs.append(run_id)
            if message.get("type") == "system":
                return  # its welcome stays its own
            live = [r for r in runs if r != run_id and r in self.active_connections]
            if live:
                await send(self, live[-1], message)

    WebSocketManager._send_message = broken_send  # type: ignore[method-assign]


if __name__ == "__main__":
    main()
