"""botkit inside another ASGI app: a Starlette site with the bot mounted under ``/bot``.

The site keeps its own routes (here ``/`` and ``/status``); the bot answers at
``/bot/webhook`` (Meta's callback URL), with its health and metrics routes under ``/bot`` too.
One process, one event loop, one server::

    BOTKIT_CONFIG=botkit.toml uvicorn --factory asgi_mount_app:create --port 8000

Two things make a mounted bot work:

- **Its start and stop.** Starlette runs the lifespan of the outer app only, never that of a
  mounted one, so the site's lifespan starts the bot (store, Cloud API client, plugins' startup
  hooks, dispatch) and stops it again, in that order.
- **Its paths.** botkit's settings name the webhook's path as the bot sees it (``[server] path
  = "/webhook"``); under a mount the request path still begins with the mount's prefix, which
  :func:`below_mount` takes off, so that the bot sees each request as if it were served at the
  root.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from botkit import create_app
from botkit.cli import load_settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MOUNT = "/bot"


def below_mount(app: ASGIApp) -> ASGIApp:
    """``app`` served as if at the root: a request for ``/bot/webhook`` reaches it as
    ``/webhook``, the mount's prefix taken off the path (and out of ``root_path``). Requests
    outside the prefix pass unchanged."""

    async def call(scope: Scope, receive: Receive, send: Send) -> None:
        root, path = scope.get("root_path", ""), scope.get("path", "")
        if scope["type"] in ("http", "websocket") and root and path.startswith(root + "/"):
            scope = {**scope, "path": path[len(root):], "root_path": ""}
        await app(scope, receive, send)

    return call


def build(settings: Any) -> Starlette:
    """The site with the bot for ``settings`` mounted at :data:`MOUNT`."""
    bot = create_app(settings)

    @asynccontextmanager
    async def lifespan(site: Starlette) -> AsyncIterator[None]:
        await bot.startup()
        try:
            yield
        finally:
            await bot.shutdown()

    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse("The shop's own pages live here; the bot is under /bot.")

    async def status(request: Request) -> JSONResponse:
        return JSONResponse({"bot": f"{MOUNT}{settings.server.path}"})

    return Starlette(routes=[Route("/", home), Route("/status", status),
                             Mount(MOUNT, app=below_mount(bot))], lifespan=lifespan)


def create() -> Starlette:
    """For ``uvicorn --factory``: the settings of ``$BOTKIT_CONFIG`` (else botkit's embedded
    defaults), read when the server starts, never at import."""
    return build(load_settings(None))
