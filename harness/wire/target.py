"""The target under verification and the synthetic users the harness acts as."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.errors import CapabilityMissing, ConfigError
from harness.wire import protocol as P
from harness.wire.client import User
from harness.wire.profile import Profile, load_profile
from harness.wire.tokens import mint, synthetic_user_id, token_from_command

EMBEDDED = "embedded"
# The embedded target's converter under test: the reference server's own normaliser.
EMBEDDED_CONVERTER = "harness.reference.timestamps:normalise_timestamp"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the target listens and what the harness may do there."""

    ws_url: str
    http_url: str
    kind: str = "remote"
    secret: str | None = None
    tokens: tuple[User, ...] = ()
    defects: frozenset[str] = field(default_factory=frozenset)
    profile: Profile = field(default_factory=lambda: load_profile(None))
    liberal: int | None = None  # the embedded server's freedom seed (--liberal), if any

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        secret: str | None = None,
        tokens: Sequence[User] = (),
        kind: str = "remote",
        defects: Iterable[str] = (),
        profile: Profile | None = None,
        liberal: int | None = None,
    ) -> Target:
        """A target from its `ws://` or `wss://` URL; the HTTP routes share its host and port."""
        spoken = profile if profile is not None else load_profile(None)
        return cls(
            ws_url=normalise_ws_url(url, spoken.section("endpoint")["ws_path"]),
            http_url=http_url_for(url),
            kind=kind,
            secret=secret,
            tokens=tuple(tokens),
            defects=frozenset(defects),
            profile=spoken,
            liberal=liberal,
        )


def normalise_ws_url(url: str, default_path: str = P.WS_PATH) -> str:
    """The WebSocket endpoint of `url` (the profile's path when none is given); ConfigError
    if it is not a ws:// or wss:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ConfigError(f"--target {url!r}: expected ws://HOST:PORT/ws, wss://... or 'embedded'")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        digits = parts.netloc.rpartition(":")[2]
        what = "is out of range" if digits.isdigit() else "is not a number"
        raise ConfigError(f"--target {url!r}: the port {what} (expected 0 to 65535)") from None
    path = parts.path if parts.path not in ("", "/") else default_path
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def http_url_for(url: str) -> str:
    """`http(s)://host:port` of a `ws(s)://` URL."""
    parts = urlsplit(url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urlunsplit((scheme, parts.netloc, "", "", ""))


def parse_tokens(pairs: Iterable[str]) -> tuple[User, ...]:
    """`USER=JWT` pairs from the command line; ConfigError naming a malformed one."""
    users = []
    for pair in pairs:
        user, sep, token = pair.partition("=")
        if not sep or not user or not token:
            raise ConfigError(f"--token {pair[:20]!r}...: expected USER=JWT")
        users.append(User(user, token))
    return tuple(users)


class UserFactory:
    """Fresh synthetic users (minted with the target's secret) or the given tokens, in order."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._given = 0
        tokens = target.profile.auth["tokens"]
        self._claims = {"sub": tokens["user_claim"], "exp": tokens["expiry_claim"]}
        self._command: list[str] = list(tokens["command"]) if tokens["source"] == "command" else []
        self._command_timeout = float(tokens["command_timeout_s"])
        self._source = tokens["source"]

    def new(self, prefix: str = "u") -> User:
        """A user no other test uses: minted with the secret, printed by the profile's token
        command, or the next `--token` user, in that order of preference."""
        if self._source == "none":  # the target authenticates no one: no token
            return User(synthetic_user_id(prefix), "")
        if self._target.secret is not None:
            sub = synthetic_user_id(prefix)
            return User(sub, self._mint(self._target.secret, sub))
        if self._command:
            sub = synthetic_user_id(prefix)
            return User(
                sub, token_from_command(self._command, sub, timeout_s=self._command_timeout)
            )
        if self._given < len(self._target.tokens):
            self._given += 1
            return self._target.tokens[self._given - 1]
        raise CapabilityMissing(
            f"this test needs more users than the {len(self._target.tokens)} --token "
            "pair(s) given; pass --jwt-secret so the harness can mint fresh users"
        )

    def token(
        self,
        sub: str,
        *,
        exp_in: float = 3600.0,
        secret: str | None = None,
        alg: str = P.JWT_ALGORITHM,
        claims: Mapping[str, Any] | None = None,
        omit: Iterable[str] = (),
    ) -> str:
        """Mint a token for `sub` (expired, forged or unsigned ones included)."""
        key = secret if secret is not None else self._target.secret
        if key is None and alg.lower() != "none":
            raise CapabilityMissing("crafting tokens needs the target's secret: pass --jwt-secret")
        return self._mint(key or "", sub, exp_in=exp_in, alg=alg, claims=claims, omit=omit)

    def _mint(self, key: str, sub: str, *, omit: Iterable[str] = (), **options: Any) -> str:
        """Mint with the profile's claim names: `omit` names the canonical `sub` and `exp`."""
        return mint(
            key,
            sub,
            omit=[self._claims.get(name, name) for name in omit],
            user_claim=self._claims["sub"],
            expiry_claim=self._claims["exp"],
            **options,
        )
