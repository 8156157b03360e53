"""Which user an accepted connection acts as: connection_established and its run's events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from harness.suite_api import CheckFailed
from harness.suite_api import protocol as P

if TYPE_CHECKING:
    from harness.suite_api import Client

# Generous: a run takes milliseconds; a slow target must fail on identities, not on this.
RUN_WITHIN: Final = 15.0


async def expect_identity(client: Client, user_id: str) -> None:
    """connection_established, the ack and every event of one run all name `user_id`."""
    established = client.established or {}
    first = (established.get("type"), established.get("user_id"))
    if first != (P.CONNECTION_ESTABLISHED, user_id):
        raise CheckFailed(
            "first frame of an accepted connection",
            expected=(P.CONNECTION_ESTABLISHED, user_id),
            observed=first,
        )
    ack = await client.request(P.USER_MESSAGE, {"content": "What is 2+3?"})
    if ack.get("type") != P.ACK:
        raise CheckFailed("reply to a user_message", expected=P.ACK, observed=ack)
    events = await client.collect_run(ack.get("run_id"), within=RUN_WITHIN)
    seen = sorted({str(event.get("user_id")) for event in events})
    if seen != [user_id]:
        raise CheckFailed(
            "user_id of the run's events", expected=[user_id], observed=seen, frames=events
        )
