"""Flow tokens: short, signed, expiring; anything else is refused with a named reason."""

from __future__ import annotations

import base64
import re

import orjson
import pytest

from botkit.flows import FlowTokenError, FlowTokens
from botkit.flows.tokens import MAX_TOKEN_CHARS

SECRET = b"k" * 32
NOW = 1_782_903_600


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def issue(tokens: FlowTokens, ttl: float = 3600) -> str:
    return tokens.issue("106540352242922", "16505551234", "crm-sync", "1234567890123456", ttl)


def test_issued_token_verifies_with_its_claims():
    clock = Clock()
    tokens = FlowTokens(SECRET, clock)
    token = issue(tokens)
    claims = tokens.verify(token)
    assert (claims.phone_number_id, claims.wa_id, claims.plugin, claims.flow_id) == (
        "106540352242922", "16505551234", "crm-sync", "1234567890123456")
    assert (claims.issued_at, claims.expires_at) == (NOW, NOW + 3600)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}", token)
    assert len(token) < 200


def test_two_tokens_for_the_same_flow_differ():
    tokens = FlowTokens(SECRET, Clock())
    first, second = issue(tokens), issue(tokens)
    assert first != second
    assert tokens.verify(first).nonce != tokens.verify(second).nonce


def test_token_expires_at_its_ttl():
    clock = Clock()
    tokens = FlowTokens(SECRET, clock)
    token = issue(tokens, ttl=60)
    clock.now = NOW + 59.9
    assert tokens.verify(token).flow_id == "1234567890123456"
    clock.now = NOW + 60
    with pytest.raises(FlowTokenError) as caught:
        tokens.verify(token)
    assert caught.value.reason == "has expired"


def test_token_of_another_secret_is_forged():
    token = issue(FlowTokens(b"x" * 32, Clock()))
    with pytest.raises(FlowTokenError) as caught:
        FlowTokens(SECRET, Clock()).verify(token)
    assert caught.value.reason == "is not one this bot issued"


def test_changed_claims_do_not_verify():
    tokens = FlowTokens(SECRET, Clock())
    body, mac = issue(tokens).split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims[2] = "16505559999"  # another customer
    forged = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    with pytest.raises(FlowTokenError, match="not one this bot issued"):
        tokens.verify(f"{forged}.{mac}")


def test_old_secret_still_verifies_during_rotation():
    clock = Clock()
    token = issue(FlowTokens(b"o" * 32, clock))
    rotated = FlowTokens(SECRET, clock, old_secrets=[b"o" * 32])
    assert rotated.verify(token).plugin == "crm-sync"
    with pytest.raises(FlowTokenError):  # new tokens are signed with the new secret only
        FlowTokens(b"o" * 32, clock).verify(issue(rotated))


@pytest.mark.parametrize("token", [
    "", ".", "abc", "abc.", ".abc", "a.b.c", "x" * (MAX_TOKEN_CHARS + 1), "flows-builder-1a2b3c",
    "ab$c.def", "é.é", "AAAA.!!!!",
])
def test_malformed_tokens(token):
    with pytest.raises(FlowTokenError) as caught:
        FlowTokens(SECRET, Clock()).verify(token)
    assert caught.value.reason in ("is malformed", "is not one this bot issued")


def test_signed_body_that_is_not_our_format_is_malformed():
    tokens = FlowTokens(SECRET, Clock())
    body = base64.urlsafe_b64encode(b'{"not": "a list"}').rstrip(b"=")
    mac = tokens._mac(SECRET, body)
    token = f"{body.decode()}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(FlowTokenError) as caught:
        tokens.verify(token)
    assert caught.value.reason == "is malformed"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        FlowTokens(b"short", Clock())
    with pytest.raises(ValueError, match="16 bytes"):
        FlowTokens(SECRET, Clock(), old_secrets=[b""])
    tokens = FlowTokens(SECRET, Clock())
    with pytest.raises(ValueError, match="wa_id"):
        tokens.issue("1", "", "p", "f", 60)
    for ttl in (0, 0.5, -5):
        with pytest.raises(ValueError, match="ttl_seconds"):
            tokens.issue("1", "2", "p", "f", ttl)
    with pytest.raises(ValueError, match="1000 characters"):
        tokens.issue("1", "2", "p" * 900, "f", 60)
