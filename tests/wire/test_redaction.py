"""Redaction: the secret, the tokens (also as a subprotocol carries them) and JWT shapes."""

from __future__ import annotations

from harness.wire.redaction import Redactor

SECRET = "s3cr3t-value-0123456789"
TOKEN = "abc.def-token-value.xyz"


def test_secret_and_token_are_replaced_with_their_markers() -> None:
    redactor = Redactor(SECRET, [TOKEN])
    text = f"failed with secret {SECRET} for token {TOKEN}"
    assert redactor.text(text) == (
        "failed with secret <redacted:secret> for token <redacted:token>"
    )


def test_a_token_in_base64_as_in_a_subprotocol_is_replaced() -> None:
    redactor = Redactor(None, [TOKEN])
    # base64url of TOKEN without padding, as the subprotocol carries it
    assert redactor.text("chat-agent.v1.YWJjLmRlZi10b2tlbi12YWx1ZS54eXo") == (
        "chat-agent.v1.<redacted:token>"
    )


def test_any_jwt_shaped_string_is_replaced_even_unknown() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"
    assert Redactor().text(f'{{"token": "{jwt}"}}') == '{"token": "<redacted:token>"}'


def test_nested_data_is_redacted_and_other_values_kept() -> None:
    redactor = Redactor(SECRET)
    data = {"message": SECRET, "frames": [{"data": f"x{SECRET}x", "size": 38}], "n": None}
    assert redactor.data(data) == {
        "message": "<redacted:secret>",
        "frames": [{"data": "x<redacted:secret>x", "size": 38}],
        "n": None,
    }


def test_secrets_come_from_the_environment_of_a_child_process() -> None:
    env = {"STABILITY_HARNESS_JWT_SECRET": SECRET, "STABILITY_HARNESS_TOKENS": f"u1={TOKEN}\n"}
    redactor = Redactor.from_environment(env)
    assert redactor.text(f"{SECRET} {TOKEN}") == "<redacted:secret> <redacted:token>"


def test_a_short_text_is_redacted_every_time_it_comes_past_the_memo() -> None:
    """Short texts are redacted once and their redacted form kept: the second time, and the
    five-thousandth text past what is kept, are redacted all the same."""
    secret = "memo-secret-9d2e"
    redactor = Redactor(secret)
    for _ in range(2):
        assert redactor.text(f"key={secret}") == "key=<redacted:secret>"
        assert redactor.text("load_first_event_ms") == "load_first_event_ms"
    for n in range(5000):
        assert redactor.text(f"{n}:{secret}") == f"{n}:<redacted:secret>"
    # Another redactor knows its own secret only.
    assert Redactor("other-secret-77").text(f"key={secret}") == f"key={secret}"
