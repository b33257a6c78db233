"""The app factory: a Quart app with the webhook endpoint in front and botkit's lifecycle."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from quart import Quart, Response

from botkit.bot import Bot
from botkit.errors import StoreError
from botkit.plugin_routes import register_plugin_routes
from botkit.plugins import load_plugins
from botkit.runtime.banner import announce_ready
from botkit.runtime.lifecycle import Lifecycle
from botkit.security.allowlist import guard_webhook
from botkit.settings import Settings
from botkit.store import open_store
from botkit.webhook.endpoint import WebhookEndpoint

log = logging.getLogger("botkit")


def create_app(settings: Settings, *, plugins: Mapping[str, Any] | None = None,
               clock: Callable[[], float] = time.time, start_dispatcher: bool = True) -> Quart:
    """Build the app for ``settings``; nothing is opened until the server starts it.

    ``plugins`` adds plugin objects by name (for tests and embedding); ``enabled_plugins``
    still decides which run and in what order.
    """
    plugin_set = load_plugins(settings, plugins)
    store = open_store(settings.store, clock=clock)
    bot = Bot(settings, plugin_set, store, clock=clock)
    app = Quart("botkit")
    app.extensions["botkit"] = bot
    endpoint = WebhookEndpoint(app.asgi_app, bot)
    app.asgi_app = guard_webhook(endpoint, settings, bot.stats)  # [security]: who may call
    if settings.flows is not None:  # [flows]: the Flows endpoint, mounted in front by path
        from botkit.flows.app import install_flows

        install_flows(app, bot)

    lifecycle = Lifecycle(bot, dispatch=start_dispatcher,
                          before_dispatch=lambda: register_plugin_routes(app, bot))

    @app.before_serving
    async def open_bot() -> None:
        await lifecycle.start()
        bot.pressure.start()
        if lifecycle.dispatcher is not None:
            endpoint.dispatcher = lifecycle.dispatcher
            app.extensions["botkit.dispatcher"] = lifecycle.dispatcher
        announce_ready(settings, plugin_set.names)
        # Everything allocated so far lives as long as the process: keep it out of the
        # collector's way so that collections stay short (fewer latency spikes).
        gc.collect()
        gc.freeze()

    @app.after_serving
    async def close_bot() -> None:
        app.extensions.pop("botkit.dispatcher", None)
        await bot.pressure.stop()
        await lifecycle.stop()

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok", content_type="text/plain")

    @app.get("/readyz")
    async def readyz() -> Response:
        try:
            await store.ping()
        except StoreError as exc:
            log.warning("readiness check failed: %s", exc)
            return Response("store unavailable", status=503, content_type="text/plain")
        return Response("ready", content_type="text/plain")

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(bot.stats.render(), content_type="text/plain; version=0.0.4")

    return app


def bot_of(app: Quart) -> Bot:
    """The bot behind an app made by :func:`create_app`."""
    return app.extensions["botkit"]
