"""``X-Hub-Signature-256``: how Meta signs a body, and the constant-time check of it.

One implementation for everything that signs or checks: the webhook, the Flows endpoint,
``botkit doctor signature`` and the test kit that plays Meta's side.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

PREFIX = "sha256="


def hex_signature(body: bytes, secret: bytes | str) -> str:
    """The lowercase hex HMAC-SHA256 of the raw ``body`` under ``secret``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def header_value(body: bytes, secret: bytes | str) -> str:
    """The ``X-Hub-Signature-256`` header value Meta sends for ``body``."""
    return PREFIX + hex_signature(body, secret)


def well_formed(header: bytes | str | None) -> bool:
    """``sha256=`` followed by 64 hex digits (anything else is answered 401, not 403)."""
    if header is None:
        return False
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    digest = text[len(PREFIX):]
    return (text[:len(PREFIX)].lower() == PREFIX and len(digest) == 64
            and all(c in "0123456789abcdefABCDEF" for c in digest))


def matches(body: bytes, header: bytes | str, secrets: Iterable[bytes | str]) -> bool:
    """Whether ``header`` signs ``body`` under any of ``secrets``.

    Every secret is tried, whatever the outcome of the others, so the time taken does not say
    which one matched (secrets are rotated by configuring two at once).
    """
    given = header.decode("latin-1") if isinstance(header, bytes) else header
    expected = given[len(PREFIX):].lower().encode()
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(hex_signature(body, secret).encode(), expected)
    return matched
