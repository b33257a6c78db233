"""auto-reply: answers inbound WhatsApp messages from rules in the settings, with a default
reply, an away message outside business hours, and read receipts.

The rules become the handlers of a router (see :mod:`.routes`), built when the bot starts;
``reply_for_message`` routes each message through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit import Message, Reply, Router, hookimpl

from .read_receipts import ReadReceipts
from .routes import build_router
from .settings import PLUGIN, AutoReplySettings, load_settings

if TYPE_CHECKING:
    from botkit import Bot

__all__ = ["AutoReplySettings", "build_router", "load_settings"]

SETTINGS = f"{PLUGIN}.settings"
ROUTER = f"{PLUGIN}.router"
RECEIPTS = f"{PLUGIN}.receipts"


@hookimpl
def startup(bot: Bot) -> None:
    """Compile the rules into the router now, so that a bad regex or placeholder stops the
    server."""
    settings = load_settings(bot.config(PLUGIN))
    bot.state[SETTINGS] = settings
    bot.state[ROUTER] = build_router(settings)
    bot.state[RECEIPTS] = ReadReceipts()


@hookimpl
def shutdown(bot: Bot) -> None:
    for key in (SETTINGS, ROUTER, RECEIPTS):
        bot.state.pop(key, None)


@hookimpl
async def reply_for_message(bot: Bot, message: Message) -> Reply | None:
    """The reply of the first rule that matches, else the away or default reply. botkit sends
    it before any plugin's ``message_received`` runs, so the typing indicator is shown from
    here, where it still comes first."""
    settings: AutoReplySettings = bot.state[SETTINGS]
    router: Router = bot.state[ROUTER]
    reply: Reply | None = await router.dispatch(message, bot=bot)
    if reply is Router.CONTINUE:
        return None
    if reply is not None and settings.typing_indicator:
        receipts: ReadReceipts = bot.state[RECEIPTS]
        await receipts.show_typing(bot, message)
    return reply


@hookimpl
async def message_received(bot: Bot, message: Message) -> None:
    """Blue ticks, unless the typing indicator already marked the message read."""
    settings: AutoReplySettings = bot.state[SETTINGS]
    if settings.mark_read:
        receipts: ReadReceipts = bot.state[RECEIPTS]
        await receipts.mark_read(bot, message)
