"""The operator console: a signed-in web view of the store (incoming events per minute, backlog,
dead letters, quarantine, the delivery funnel, each customer's timeline) with the buttons the
command line offers (replay, retry, purge, reprocess, handoff) and an operator's reply.

It is part of the app rather than a separate program so that it is served, secured and stopped
with the bot; it reads and repairs the store through the same admin interface as ``botkit
events``, so what it shows and does is exactly what the command line would.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from quart import Blueprint, Quart, Response

from botkit.console._web import ConsoleWeb
from botkit.console.access import register_access
from botkit.console.actions import register_actions
from botkit.console.conversation_actions import register_conversation_actions
from botkit.console.conversations import register_conversation_pages
from botkit.console.pages import register_pages
from botkit.console.settings import ConsoleSettings, console_settings_problems
from botkit.errors import SettingsError, StoreError
from botkit.store.admin import AdminError

if TYPE_CHECKING:
    from botkit.bot import Bot

__all__ = ["ConsoleSettings", "console_settings_problems", "install_console"]

log = logging.getLogger("botkit.console")


def install_console(app: Quart, bot: Bot, settings: ConsoleSettings) -> None:
    """Serve the console under ``settings.path``; call it before the app starts serving.

    Does nothing when the console is disabled. Raises :class:`botkit.errors.SettingsError`
    listing every problem when the settings cannot be served safely (a missing or short token).
    """
    if not settings.enabled:
        return
    problems = console_settings_problems(settings, webhook_path=bot.settings.server.path)
    if problems:
        raise SettingsError(problems)
    web = ConsoleWeb(app, bot, settings)
    blueprint = Blueprint("console", __name__, url_prefix=settings.path)
    register_access(blueprint, web)
    register_pages(blueprint, web)
    register_conversation_pages(blueprint, web)
    register_actions(blueprint, web)
    register_conversation_actions(blueprint, web)

    @blueprint.errorhandler(StoreError)
    async def store_unavailable(exc: StoreError) -> Response:
        if isinstance(exc, AdminError):
            return web.error_page(400, "Not possible", str(exc))
        log.warning("console: the store cannot be read: %s", exc)
        return web.error_page(503, "Store unavailable",
                              f"The store cannot be read right now: {exc}")

    app.register_blueprint(blueprint)
    log.info("console served at %s", settings.path)
