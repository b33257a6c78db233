"""Sign bodies the way Meta does: ``X-Hub-Signature-256: sha256=<hex HMAC of the raw bytes>``."""

from __future__ import annotations

from typing import Any

import orjson

from botkit.webhook.signature import header_value


def signature(body: bytes, app_secret: str) -> str:
    """The header value for ``body`` signed with ``app_secret``."""
    return header_value(body, app_secret)


def encode(payload: Any) -> bytes:
    """Compact JSON bytes for a payload (bytes pass through untouched)."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return orjson.dumps(payload)


def signed_headers(body: bytes, app_secret: str) -> dict[str, str]:
    """Headers of a webhook POST as Meta sends it."""
    return {"content-type": "application/json", "x-hub-signature-256": signature(body, app_secret)}
