"""The core's own delivery target: ask ``reply_for_message`` and send the winning reply once.

The reply is asked for once per event: it is kept with the delivery record (the outbox) before it
is sent, so a send that fails and is retried, or an event redelivered after a crash, sends the
reply that was chosen, without asking the plugins again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from botkit.conversations.context import current_handling
from botkit.errors import PermanentError
from botkit.events import Message
from botkit.hooks import first_result
from botkit.replies import NO_REPLY
from botkit.whatsapp.builders import message_bodies

if TYPE_CHECKING:
    from botkit.bot import Bot

REPLY_TARGET = "botkit.reply"


async def ask_reply(bot: Bot, message: Message, among: Iterable[str]) -> None:
    """Ask the plugins (``among``: those enabled for the message's number) in order; queue the
    first non-``None`` reply in the current handling.

    Unsendable replies fail permanently, not in a loop.
    """
    reply = await first_result(bot.plugins, "reply_for_message", bot=bot, message=message,
                               among=among)
    if reply is None or reply is NO_REPLY:
        return
    if not isinstance(reply, str | Mapping):
        raise PermanentError(f"reply_for_message returned {type(reply).__name__}; "
                             "expected str or dict")
    if not message.phone_number_id or not message.recipient:
        raise PermanentError(f"cannot reply to {message.id}: no business number or sender")
    handling = current_handling.get()
    if handling is None:
        raise RuntimeError("ask_reply runs inside a handling context")
    to = message.sender
    for body in message_bodies(reply):
        handling.queue(message.phone_number_id, to, body,
                       recipient=None if to else message.sender_user_id)
