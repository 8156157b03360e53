"""A small HTTP client for the target's `/health` and `/stats` routes, with deadlines."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import CheckFailed, TargetUnreachable
from harness.wire.profile import Profile
from harness.wire.transcript import Transcript

# /health and /stats answer a few hundred bytes; the rest of a larger body is never read.
MAX_BODY_BYTES = 2**20


@dataclass(frozen=True, slots=True)
class HttpReply:
    """Status, body text and parsed JSON body (None when not JSON)."""

    status: int
    text: str
    json: Any


def get(
    url: str,
    *,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    within: float = 5.0,
) -> HttpReply:
    """GET `url`; an HTTP error status is a reply, a refused connection is TargetUnreachable."""
    request = urllib.request.Request(url, headers=dict(headers or {}), method="GET")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=within) as response:
            status, body = response.status, response.read(MAX_BODY_BYTES + 1)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(MAX_BODY_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise TargetUnreachable(f"GET {url}: {getattr(exc, 'reason', exc)}") from None
    if len(body) > MAX_BODY_BYTES:
        head = body[:200].decode("utf-8", errors="replace")
        return HttpReply(status, f"a body over {MAX_BODY_BYTES} bytes, beginning {head!r}", None)
    text = body.decode("utf-8", errors="replace")
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = None
    return HttpReply(status, text, parsed)


class HttpClient:
    """The `http` fixture: GETs on the target's HTTP routes, recorded in the transcript."""

    def __init__(
        self, http_url: str, transcript: Transcript, profile: Profile | None = None
    ) -> None:
        self._base = http_url.rstrip("/")
        self._transcript = transcript
        self._profile = profile

    async def get(
        self,
        path: str,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        within: float = 5.0,
    ) -> HttpReply:
        """GET `path` on the target within `within` seconds.

        A refused, reset or timed-out request fails the test (CheckFailed): preflight has
        already shown the target reachable, so this is the target's failure.
        """
        if self._profile is not None:
            # A canonical route (/health, /stats) is asked at the target's own path.
            path = self._profile.http_path(path) or path
        self._transcript.add("send", frame_type="GET", data=f"GET {path}")
        try:
            reply = await asyncio.to_thread(
                get, self._base + path, token=token, headers=headers, within=within
            )
        except TargetUnreachable as exc:
            raise CheckFailed(
                f"GET {path}",
                expected=f"an HTTP reply within {within:g} s",
                observed=str(exc),
                frames=self._transcript.export(),
            ) from None
        self._transcript.add(
            "recv", frame_type=f"HTTP {reply.status}", size=len(reply.text), data=reply.text
        )
        return reply
