"""Tokens: claim names from the profile; a token command that prints, fails, hangs or is silent."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest

from harness.wire.tokens import TokenCommandFailed, mint, token_from_command

SECRET = "tok-test-secret-3f9a-long-enough-for-hs256"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1IjoicGF0In0.c2lnbmF0dXJlLXRvay1zZWNyZXQ"


def test_mint_uses_the_profiles_claim_names() -> None:
    token = mint(SECRET, "u-7", user_claim="uid", expiry_claim="expires_at", now=1_000.0)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {"uid": "u-7", "expires_at": 4_600, "iat": 1_000}


# Tokens PyJWT's own jwt.encode made for the same claims, taken once: the harness signs
# HMAC tokens with the standard library, and they must be these bytes.
EXPECTED_HS256 = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTciLCJleHAiOjQ2MDAsImlhdCI6MTAwMCwicm"
    "9sZSI6ImFkbWluIn0.01xCwqVNROOEd-YYwEF0vZnaI2LTSfk9yqqI7oG1C68"
)
EXPECTED_HS512 = (
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTciLCJleHAiOjQ2MDAsImlhdCI6MTAwMH0.kYopK"
    "UMThMYNDIwFa76yoOODK68J0__w6fhCJO_UEe13zthiWGjVM2BQx3egqmqpk_AoawvetyLj6cj4lehd8Q"
)
EXPECTED_ESCAPED = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1aWQiOiJcdTAwZmMtNyIsImV4cGlyZXNfYXQiOjQ2MDAsIm"
    "lhdCI6MTAwMCwibiI6WzEsMi41LG51bGwsdHJ1ZV19.O76fb6HmaXf4zAf1V1C9em3TvR69UzN4OVtNZ6shuLw"
)


def test_a_minted_token_is_the_one_pyjwt_makes() -> None:
    assert mint(SECRET, "u-7", claims={"role": "admin"}, now=1_000.0) == EXPECTED_HS256
    assert mint(SECRET * 2, "u-7", alg="HS512", now=1_000.0) == EXPECTED_HS512
    # A non-ASCII user id and claims of every JSON type, written as PyJWT writes them.
    escaped = mint(
        SECRET,
        "ü-7",
        user_claim="uid",
        expiry_claim="expires_at",
        claims={"n": [1, 2.5, None, True]},
        now=1_000.0,
    )
    assert escaped == EXPECTED_ESCAPED
    longer = SECRET * 2  # as long as HS384 wants its key
    token = mint(longer, "u-7", alg="HS384", now=1_000.0)
    assert jwt.get_unverified_header(token) == {"alg": "HS384", "typ": "JWT"}
    claims = jwt.decode(token, longer, algorithms=["HS384"], options={"verify_exp": False})
    assert claims == {"sub": "u-7", "exp": 4_600, "iat": 1_000}


def test_a_token_signed_otherwise_is_pyjwts() -> None:
    """A claim json cannot write (a datetime) and a non-string issuer go to PyJWT, which
    writes the one and refuses the other."""
    when = datetime(1970, 1, 1, 1, 16, 40, tzinfo=UTC)  # 4,600 s
    token = mint(SECRET, "u-7", claims={"nbf": when}, now=1_000.0)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["nbf"] == 4_600
    with pytest.raises(TypeError, match="Issuer"):
        mint(SECRET, "u-7", claims={"iss": 7})


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "get-token"
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body), "utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_command_prints_a_token_for_the_user(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        f"""
        import sys
        assert sys.argv[1:] == ["--user", "u-42"], sys.argv
        print("{TOKEN}")
        """,
    )
    assert token_from_command([script, "--user", "{user}"], "u-42", timeout_s=10) == TOKEN


@pytest.mark.parametrize(
    ("body", "timeout_s", "message"),
    [
        pytest.param(
            f'import sys\nprint("{TOKEN}")\nprint("no such user", file=sys.stderr)\nsys.exit(3)\n',
            10.0,
            "token command get-token {user}: exit 3: no such user",
            id="fails",
        ),
        pytest.param(
            "import time\ntime.sleep(30)\n",
            0.5,
            "token command get-token {user}: no token within 0.5 s (stopped)",
            id="hangs",
        ),
        pytest.param(
            "pass\n", 10.0, "token command get-token {user}: printed no token", id="silent"
        ),
        pytest.param(
            f'print("{TOKEN}")\nprint("{TOKEN}")\n',
            10.0,
            "token command get-token {user}: printed 2 lines; expected one token",
            id="two-tokens",
        ),
    ],
)
def test_a_failing_command_is_one_line_without_the_token(
    tmp_path: Path, body: str, timeout_s: float, message: str
) -> None:
    script = _script(tmp_path, body)
    with pytest.raises(TokenCommandFailed) as caught:
        token_from_command([script, "{user}"], "u-1", timeout_s=timeout_s)
    assert str(caught.value) == message
    assert TOKEN not in str(caught.value)


def test_a_missing_command_is_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    with pytest.raises(TokenCommandFailed, match=r"^token command nowhere \{user\}: .*not found$"):
        token_from_command([missing, "{user}"], "u-1", timeout_s=5)


def test_the_command_gets_the_environment_it_is_given(tmp_path: Path) -> None:
    script = _script(tmp_path, 'import os\nprint(os.environ["TOKEN_FOR_TEST"])\n')
    env = {**os.environ, "TOKEN_FOR_TEST": TOKEN}
    assert token_from_command([script], "u-1", timeout_s=10, env=env) == TOKEN
