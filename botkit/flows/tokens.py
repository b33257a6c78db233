"""Flow tokens: who a Flow was sent to, by which plugin, signed so nothing has to be looked up.

Meta echoes the ``flow_token`` of a Flow message in every request the Flow makes and in the
completion message. Making the token carry its own claims under an HMAC means the endpoint can
check it on any instance without a database or network round trip, inside Meta's response-time
limit, and a plugin can trust the claims of a completion webhook the same way.

Format: ``<base64url(JSON array of claims)>.<base64url(HMAC-SHA256)>``, about 150 characters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from botkit.errors import BotkitError

FORMAT_VERSION = 1
MAX_TOKEN_CHARS = 1000
MIN_SECRET_BYTES = 16
_DOMAIN = b"botkit-flow-token."  # keeps these MACs apart from any other use of the secret


class FlowTokenError(BotkitError):
    """The token is malformed, forged (not signed by us) or expired; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"flow token {reason}")


@dataclass(frozen=True)
class FlowTokenClaims:
    """What a verified token says: the business number, the customer, the plugin, the Flow."""

    phone_number_id: str
    wa_id: str
    plugin: str
    flow_id: str
    issued_at: int
    expires_at: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


class FlowTokens:
    """Issues and verifies flow tokens with ``secret``; ``old_secrets`` still verify (rotation).

    ``clock`` returns the current Unix time in seconds.
    """

    def __init__(self, secret: bytes, clock: Callable[[], float],
                 old_secrets: Sequence[bytes] = ()) -> None:
        for key in (secret, *old_secrets):
            if len(key) < MIN_SECRET_BYTES:
                raise ValueError(f"a flow token secret needs at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._verifying = (secret, *old_secrets)
        self._clock = clock

    def _mac(self, secret: bytes, body: bytes) -> bytes:
        return hmac.new(secret, _DOMAIN + body, hashlib.sha256).digest()

    def issue(self, phone_number_id: str, wa_id: str, plugin: str, flow_id: str,
              ttl_seconds: float) -> str:
        """A token for sending Flow ``flow_id`` from ``phone_number_id`` to ``wa_id``."""
        fields = {"phone_number_id": phone_number_id, "wa_id": wa_id, "plugin": plugin,
                  "flow_id": flow_id}
        for name, value in fields.items():
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string")
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        now = int(self._clock())
        claims = [FORMAT_VERSION, phone_number_id, wa_id, plugin, flow_id, now,
                  now + int(ttl_seconds), _b64(os.urandom(6))]
        body = _b64(orjson.dumps(claims)).encode("ascii")
        token = f"{body.decode('ascii')}.{_b64(self._mac(self._secret, body))}"
        if len(token) > MAX_TOKEN_CHARS:
            raise ValueError(f"the claims make a token over {MAX_TOKEN_CHARS} characters")
        return token

    def verify(self, token: str) -> FlowTokenClaims:
        """The claims of a genuine, unexpired token; raises :class:`FlowTokenError` otherwise."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise FlowTokenError("is malformed")
        body_text, dot, mac_text = token.partition(".")
        if not dot or not body_text or not mac_text or not token.isascii():
            raise FlowTokenError("is malformed")
        body = body_text.encode("ascii")
        try:
            mac = _unb64(mac_text)
        except (binascii.Error, ValueError):
            raise FlowTokenError("is malformed") from None
        genuine = False
        for secret in self._verifying:  # no early exit: the time spent says nothing
            genuine |= hmac.compare_digest(mac, self._mac(secret, body))
        if not genuine:
            raise FlowTokenError("is not one this bot issued")
        claims = self._decode(body)
        if self._clock() >= claims.expires_at:
            raise FlowTokenError("has expired")
        return claims

    @staticmethod
    def _decode(body: bytes) -> FlowTokenClaims:
        # Signed by us, so well formed unless the format changed: still checked, never trusted.
        try:
            raw = orjson.loads(_unb64(body.decode("ascii")))
        except (binascii.Error, ValueError):
            raise FlowTokenError("is malformed") from None
        if (not isinstance(raw, list) or len(raw) != 8 or raw[0] != FORMAT_VERSION
                or not all(isinstance(v, str) for v in raw[1:5] + raw[7:])
                or not all(isinstance(v, int) for v in raw[5:7])):
            raise FlowTokenError("is malformed")
        return FlowTokenClaims(phone_number_id=raw[1], wa_id=raw[2], plugin=raw[3],
                               flow_id=raw[4], issued_at=raw[5], expires_at=raw[6],
                               nonce=raw[7])
