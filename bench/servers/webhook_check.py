"""The check every baseline server does: signature over the raw bytes, then a JSON parse."""

from __future__ import annotations

import hashlib
import hmac
import os

import orjson

SIGNATURE_PREFIX = "sha256="


def required_env(name: str) -> str:
    """Read a setting the servers cannot run without; say which one is missing."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} must be set to start this server")
    return value


def webhook_status(secret: bytes, body: bytes, signature: str | None) -> int:
    """The HTTP status a webhook POST deserves: 401/403 unsigned or forged, 400 not JSON."""
    if not signature or not signature.startswith(SIGNATURE_PREFIX):
        return 401
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature[len(SIGNATURE_PREFIX) :]):
        return 403
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return 400
    return 200


def challenge_answer(verify_token: str, mode: str | None, token: str | None) -> bool:
    """Whether a GET verification request carries the right token."""
    if mode != "subscribe" or token is None:
        return False
    return hmac.compare_digest(verify_token.encode(), token.encode())
