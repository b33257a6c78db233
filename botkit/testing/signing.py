"""Sign bodies the way Meta does: ``X-Hub-Signature-256: sha256=<hex HMAC of the raw bytes>``."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson


def signature(body: bytes, app_secret: str) -> str:
    """The header value for ``body`` signed with ``app_secret``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: Any) -> bytes:
    """Compact JSON bytes for a payload (bytes pass through untouched)."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return orjson.dumps(payload)


def signed_headers(body: bytes, app_secret: str) -> dict[str, str]:
    """Headers of a webhook POST as Meta sends it."""
    return {"content-type": "application/json", "x-hub-signature-256": signature(body, app_secret)}
