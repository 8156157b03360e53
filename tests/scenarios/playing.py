"""Playing a scenario on a served target over real sockets, one fresh user's connection per
run (the scenario tests' shared driver)."""

from __future__ import annotations

import asyncio

from harness.scenarios.model import Scenario
from harness.scenarios.play import Outcome, play
from harness.wire.client import Client
from harness.wire.connect import open_client
from harness.wire.target import Target, UserFactory
from harness.wire.transcript import Transcript


def played(target: Target, scenario: Scenario) -> Outcome:
    """Every run of `scenario` on `target`, in the target's dialect, within 60 s."""
    users = UserFactory(target)
    clients: list[Client] = []

    async def connect() -> Client:
        client = await open_client(target.ws_url, users.new(), Transcript(), profile=target.profile)
        clients.append(client)
        return client

    async def main() -> Outcome:
        try:
            return await asyncio.wait_for(play(scenario, connect), 60)
        finally:
            await asyncio.gather(*(c.close() for c in clients))

    outcome = asyncio.run(main())
    assert len({c.conn for c in clients}) == scenario.runs  # one connection per run
    return outcome
