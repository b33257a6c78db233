"""The ASGI apps ``botkit serve`` hands to its server.

``botkit serve`` runs the app's start-up and shut-down itself, around the server (so that a
failure is an exception it can report, not a server's log line), so the server is given the app
behind :func:`served_app`, which answers the server's lifespan messages at once. With
``[server] metrics_bind``, :func:`metrics_app` answers ``/metrics`` on its own listener and the
webhook's listener no longer does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]],
                    Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]
TEXT = (b"content-type", b"text/plain; charset=utf-8")
PROMETHEUS = (b"content-type", b"text/plain; version=0.0.4; charset=utf-8")


async def _lifespan(receive: Callable[[], Awaitable[Any]],
                    send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """Answer a server's lifespan messages: the app was started before the server was."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _answer(send: Callable[[dict[str, Any]], Awaitable[None]], status: int, body: bytes,
                  content_type: tuple[bytes, bytes] = TEXT, head: bool = False) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [content_type, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": b"" if head else body})


def served_app(app: ASGIApp, *, hide_metrics: bool) -> ASGIApp:
    """``app`` without its lifespan (already run) and, with ``hide_metrics``, without
    ``/metrics`` (served on a listener of its own)."""

    async def asgi(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                   send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif hide_metrics and scope["type"] == "http" and scope["path"] == "/metrics":
            await _answer(send, 404, b"not found")
        else:
            await app(scope, receive, send)

    return asgi


def metrics_app(render: Callable[[], bytes]) -> ASGIApp:
    """``GET /metrics`` (Prometheus text from ``render``) and ``GET /healthz``; 404 else."""

    async def asgi(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                   send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        head = scope["method"] == "HEAD"
        if scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, b"method not allowed")
        elif scope["path"] == "/metrics":
            await _answer(send, 200, render(), PROMETHEUS, head=head)
        elif scope["path"] == "/healthz":
            await _answer(send, 200, b"ok", head=head)
        else:
            await _answer(send, 404, b"not found", head=head)

    return asgi
