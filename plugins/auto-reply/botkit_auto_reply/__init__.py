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

COMPILED = f"{PLUGIN}.compiled"
RECEIPTS = f"{PLUGIN}.receipts"


@hookimpl
def startup(bot: Bot) -> None:
    """Compile the rules into a router now, so that a bad regex or placeholder stops the
    server: one for the top-level table and one per business number with a table of its own."""
    compiled = {}
    for number, config in bot.configs(PLUGIN).items():
        settings = load_settings(config)
        compiled[number] = (settings, build_router(settings))
    bot.state[COMPILED] = compiled
    bot.state[RECEIPTS] = ReadReceipts()


@hookimpl
def shutdown(bot: Bot) -> None:
    for key in (COMPILED, RECEIPTS):
        bot.state.pop(key, None)


def _compiled_for(bot: Bot, message: Message) -> tuple[AutoReplySettings, Router]:
    """The settings and router of the number that received ``message`` (the top-level ones
    for a number without a table)."""
    compiled: dict[str | None, tuple[AutoReplySettings, Router]] = bot.state[COMPILED]
    found = compiled.get(message.phone_number_id) or compiled.get(None)
    if found is None:  # botkit calls the plugin only for the numbers that enable it
        raise RuntimeError(f"auto-reply is not enabled for number {message.phone_number_id}")
    return found


@hookimpl
async def reply_for_message(bot: Bot, message: Message) -> Reply | None:
    """The reply of the first rule that matches, else the away or default reply. botkit sends
    it before any plugin's ``message_received`` runs, so the typing indicator is shown from
    here, where it still comes first."""
    settings, router = _compiled_for(bot, message)
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
    settings, _ = _compiled_for(bot, message)
    if settings.mark_read:
        receipts: ReadReceipts = bot.state[RECEIPTS]
        await receipts.mark_read(bot, message)
