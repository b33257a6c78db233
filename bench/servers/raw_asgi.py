"""The ceiling: a bare ASGI callable that verifies, parses and answers 200, nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from webhook_check import challenge_answer, required_env, webhook_status

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class RawWebhookApp:
    """ASGI app answering Meta's GET handshake and signed POSTs on one path."""

    def __init__(self, secret: str, verify_token: str, path: str = "/webhook") -> None:
        self._secret = secret.encode("utf-8")
        self._verify_token = verify_token
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _run_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] != self._path:
            await _respond(send, 404, b"not found")
            return
        if scope["method"] == "POST":
            body = await _read_body(receive)
            status = webhook_status(self._secret, body, _header(scope, b"x-hub-signature-256"))
            await _respond(send, status, b"")
        elif scope["method"] == "GET":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            mode = query.get("hub.mode", [None])[0]
            token = query.get("hub.verify_token", [None])[0]
            if challenge_answer(self._verify_token, mode, token):
                challenge = query.get("hub.challenge", [""])[0]
                await _respond(send, 200, challenge.encode("utf-8"))
            else:
                await _respond(send, 403, b"forbidden")
        else:
            await _respond(send, 405, b"method not allowed")


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _run_lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


app = RawWebhookApp(required_env("WHATSAPP_APP_SECRET"), required_env("WHATSAPP_VERIFY_TOKEN"))
