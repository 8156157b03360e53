"""Preflight: is the target there, and does it accept the harness's credentials? Both bounded."""

from __future__ import annotations

import asyncio

from harness.errors import CapabilityMissing, CheckFailed, TargetUnreachable
from harness.verdict.records import RunError
from harness.wire import protocol as P
from harness.wire.client import TargetRefused, User
from harness.wire.connect import open_client
from harness.wire.http import get
from harness.wire.target import Target, UserFactory
from harness.wire.tokens import TokenCommandFailed
from harness.wire.transcript import Transcript

PREFLIGHT_WITHIN_S = 5.0


def preflight(target: Target, *, within: float = PREFLIGHT_WITHIN_S) -> RunError | None:
    """None when the suites can run; else the one-line cause that makes the run INCOMPLETE.

    Only what stops the harness from judging ends the run here: a target that
    does not answer, or one that refuses the harness's own credentials. Any other
    misbehaviour (a wrong /health body, a missing frame) is left to the suites,
    which judge it.
    """
    health = target.profile.http_path(P.HEALTH_PATH)
    if health:  # a dialect without a health route: the handshake alone says it answers
        try:
            get(target.http_url + health, within=within)
        except TargetUnreachable as exc:
            return RunError("preflight", f"target unreachable: {exc}")
    try:
        user = UserFactory(target).new("preflight")
    except TokenCommandFailed as exc:
        return RunError("preflight", str(exc))
    except CapabilityMissing as exc:
        return RunError("preflight", str(exc))
    return asyncio.run(_handshake(target, user, within))


async def _handshake(target: Target, user: User, within: float) -> RunError | None:
    try:
        client = await open_client(
            target.ws_url,
            user,
            Transcript(),
            established=False,
            within=within,
            profile=target.profile,
        )
    except TargetRefused as exc:
        return RunError(
            "preflight", f"target unreachable: cannot connect to {target.ws_url}: {exc.observed}"
        )
    except CheckFailed:
        return None  # a broken handshake is the target's failure: the suites judge it
    try:
        first = await client.recv(within)
    except CheckFailed:
        first = {}
    finally:
        await client.close()
    if first.get("type") == P.ERROR and first.get("error_code") == P.AUTH_FAILED:
        how = (
            "--jwt-secret"
            if target.secret is not None
            else "the tokens (--token, or the token command)"
        )
        return RunError(
            "preflight",
            f"the target refused the harness's credentials (AUTH_FAILED, close "
            f"{client.close_code}): check {how}",
        )
    return None
