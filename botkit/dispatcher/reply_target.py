"""The core's own delivery target: ask ``reply_for_message`` and send the winning reply once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from botkit.errors import PermanentError
from botkit.events import Message
from botkit.hooks import first_result
from botkit.replies import NO_REPLY

if TYPE_CHECKING:
    from botkit.bot import Bot

REPLY_TARGET = "botkit.reply"



async def send_reply(bot: Bot, message: Message,
                     before_send: Callable[[], Awaitable[None]]) -> bool:
    """Send the first non-``None`` reply; unsendable replies fail permanently, not in a loop.

    ``before_send`` records durably that a send is starting, so that after a crash the reply is
    reported as "outcome unknown" rather than sent twice. Returns whether a reply was sent.
    """
    reply = await first_result(bot.plugins, "reply_for_message", bot=bot, message=message)
    if reply is None or reply is NO_REPLY:
        return False
    if bot.whatsapp is None:
        raise PermanentError("a plugin returned a reply but no whatsapp.access_token is set")
    if not message.phone_number_id or not message.recipient:
        raise PermanentError(f"cannot reply to {message.id}: no business number or sender")
    from botkit.whatsapp.errors import GraphError, OutcomeUnknown

    to = message.sender
    recipient = None if to else message.sender_user_id
    if not isinstance(reply, str | Mapping):
        raise PermanentError(f"reply_for_message returned {type(reply).__name__}; "
                             "expected str or dict")
    await before_send()
    try:
        if isinstance(reply, str):
            await bot.whatsapp.send(message.phone_number_id, to,
                                    {"type": "text", "text": {"body": reply}},
                                    recipient=recipient)
        else:
            await bot.whatsapp.send(message.phone_number_id, to, dict(reply), recipient=recipient)
    except OutcomeUnknown as exc:
        raise PermanentError(f"reply to {message.id} may or may not have been sent; "
                             f"not re-sent to avoid a double reply: {exc}") from exc
    except GraphError as exc:
        if not exc.retryable:
            raise PermanentError(str(exc)) from exc
        raise
    except ValueError as exc:
        raise PermanentError(f"reply to {message.id} is not a valid message: {exc}") from exc
    return True
