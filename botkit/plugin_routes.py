"""Routes that plugins add through the ``register_routes`` hook."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from quart import Quart

from botkit.errors import PluginError
from botkit.hooks import call_plugin

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit")
RESERVED = ("/healthz", "/readyz", "/metrics")


async def register_plugin_routes(app: Quart, bot: Bot) -> None:
    """Collect every plugin's routes; refuse paths that are taken (the webhook, health, others)."""
    taken = {bot.settings.server.path, *RESERVED,
             *([bot.settings.flows.path] if bot.settings.flows else [])}
    pending: list[tuple[str, str, Any, list[str]]] = []

    for name in bot.plugins.implementing("register_routes"):
        def register(path: str, view: Any, methods: list[str] | None = None,
                     _plugin: str = name) -> None:
            if not path.startswith("/"):
                raise PluginError(f"plugin {_plugin}: route {path!r} must start with '/'")
            if path in taken:
                raise PluginError(f"plugin {_plugin}: route {path} is already taken")
            taken.add(path)
            pending.append((_plugin, path, view, methods or ["GET"]))

        await call_plugin(bot.plugins, "register_routes", name, bot=bot, register=register)
    for plugin, path, view, methods in pending:
        app.add_url_rule(path, endpoint=f"{plugin}:{path}", view_func=view, methods=methods)
        log.info("plugin %s serves %s %s", plugin, ",".join(methods), path)
