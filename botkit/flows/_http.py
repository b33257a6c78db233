"""The few raw-ASGI pieces the Flows endpoint needs: read a bounded body, check the signature,
send a plain answer. Raw ASGI keeps the per-request cost to microseconds (no framework)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

from botkit.webhook.signature import matches, well_formed

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SIGNATURE_HEADER = b"x-hub-signature-256"


class BodyTooLarge(Exception):
    """The request body is over the limit."""


class Disconnected(Exception):
    """The client went away before the body was complete."""


def header_values(scope: Scope, name: bytes) -> list[bytes]:
    """Every value of header ``name`` (lower case), in order."""
    return [value for key, value in scope.get("headers", ()) if key.lower() == name]


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, refusing early when Content-Length or the bytes so far pass ``limit``."""
    for declared in header_values(scope, b"content-length"):
        if declared.strip().isdigit() and int(declared) > limit:
            raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def signature_problem(scope: Scope, body: bytes, secrets: Sequence[bytes]) -> str | None:
    """Why the body's ``X-Hub-Signature-256`` is not acceptable, or None when it matches one of
    ``secrets``. The check itself is the webhook's (every secret tried, constant time)."""
    values = header_values(scope, SIGNATURE_HEADER)
    if not values:
        return "signature header missing"
    if len(values) > 1:
        return "signature header repeated"
    given = values[0].strip()
    if not well_formed(given):
        return "signature header malformed"
    return None if matches(body, given, secrets) else "signature does not match any app secret"


async def send_text(send: Send, status: int, text: str,
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """A complete ``text/plain`` response."""
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode("ascii")), *headers]})
    await send({"type": "http.response.body", "body": body})
