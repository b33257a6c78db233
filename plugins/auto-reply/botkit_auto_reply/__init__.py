"""auto-reply: answers inbound WhatsApp messages from rules in the settings, with a default
reply, an away message outside business hours, and read receipts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit import Message, Reply, hookimpl

from .read_receipts import ReadReceipts
from .responder import choose_reply
from .settings import PLUGIN, AutoReplySettings, load_settings

if TYPE_CHECKING:
    from botkit import Bot

__all__ = ["AutoReplySettings", "choose_reply", "load_settings"]

SETTINGS = f"{PLUGIN}.settings"
RECEIPTS = f"{PLUGIN}.receipts"


@hookimpl
def startup(bot: Bot) -> None:
    """Compile the rules now, so that a bad regex or placeholder stops the server."""
    bot.state[SETTINGS] = load_settings(bot.config(PLUGIN))
    bot.state[RECEIPTS] = ReadReceipts()


@hookimpl
def shutdown(bot: Bot) -> None:
    bot.state.pop(SETTINGS, None)
    bot.state.pop(RECEIPTS, None)


@hookimpl
async def reply_for_message(bot: Bot, message: Message) -> Reply | None:
    """The reply from the rules. botkit sends it before any plugin's ``message_received``
    runs, so the typing indicator is shown from here, where it still comes first."""
    settings: AutoReplySettings = bot.state[SETTINGS]
    reply = choose_reply(settings, message, bot.clock())
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
