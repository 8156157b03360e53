"""Serve AutoGen Studio with the project's team: `python tests/targets/autogen/serve.py
--port PORT --appdir DIR [--team clean|broken|exhausted]` (from any folder).

Runs AutoGen Studio's own app (autogenstudio.web.app) under uvicorn in this process, as
`autogenstudio ui` does but with its settings in the environment rather than in a file
under the home folder (two servers at once do not share one). Once the app answers, it
makes the team the guest user's first (POST /api/teams/) and prints READY_LINE: the
`autogen-studio` profile's set-up calls run that team. SIGTERM stops it (uvicorn's own
shutdown).
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
from typing import Final

sys.path.insert(0, str(Path(__file__).resolve().parent))
from team import broken_team, clean_team, exhausted_team

READY_LINE: Final = "autogen team ready"
GUEST: Final = "guestuser@gmail.com"
TEAMS: Final = {"clean": clean_team, "broken": broken_team, "exhausted": exhausted_team}


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

    threading.Thread(target=_seed, args=(args.port, args.team), daemon=True).start()
    uvicorn.run("autogenstudio.web.app:app", host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
