"""Sending what a message handler returned: the one place in routing that sends messages.

Inside botkit's dispatch the reply goes to the outbox (``message.reply``): it is committed
with the plugin's delivery record and sent once, after the handler returns, within the
conversation's rules (handoff, the 24-hour window). Outside a dispatch (a router driven by
hand) it is sent at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botkit import NO_REPLY
from botkit.conversations.context import current_handling
from botkit.errors import BotkitError, PermanentError
from botkit.events import Message


class InvalidReply(PermanentError):
    """A handler returned something that is not a reply, or a reply WhatsApp would refuse."""


class CannotReply(PermanentError):
    """There is no way to answer: no access token, or no business number or customer."""


def reply_body(body: Any) -> dict[str, Any]:
    """The Cloud API message object for a handler's result: a ``str`` becomes a text message,
    a mapping is taken as a message object (``{"type": "interactive", ...}``)."""
    if isinstance(body, str):
        return {"type": "text", "text": {"body": body}}
    if callable(getattr(body, "to_body", None)):
        return dict(body.to_body())
    if isinstance(body, Mapping):
        return dict(body)
    raise InvalidReply(f"a message handler returned {type(body).__name__}; expected a str, a "
                       "dict holding a Cloud API message object, or None")


async def send_reply(bot: Any, message: Message, body: Any) -> Any:
    """Send ``body`` to the customer who sent ``message``, from the number it was sent to.

    ``None`` and ``botkit.NO_REPLY`` send nothing. Returns the client's send result (``None``
    when nothing was sent). Failures that retrying cannot fix raise :class:`PermanentError`
    subclasses; transient ones propagate so that botkit retries.
    """
    if body is None or body is NO_REPLY:
        return None
    payload = reply_body(body)
    if current_handling.get() is not None:
        # Inside botkit's dispatch: kept with the delivery record and sent at most once.
        return await message.reply(body if isinstance(body, str) else payload)
    if getattr(bot, "whatsapp", None) is None:
        raise CannotReply("a handler returned a reply but no whatsapp.access_token is set")
    if not message.phone_number_id or not message.recipient:
        raise CannotReply(f"cannot reply to {message.id}: no business number or sender")
    to = message.sender
    recipient = None if to else message.sender_user_id
    try:
        return await bot.whatsapp.send(message.phone_number_id, to, payload,
                                       recipient=recipient)
    except ValueError as exc:
        raise InvalidReply(f"the reply to {message.id} is not a valid message: {exc}") from exc
    except BotkitError as exc:
        if getattr(exc, "retryable", True):
            raise
        raise PermanentError(f"the reply to {message.id} failed and will not be retried: "
                             f"{exc}") from exc


__all__ = ["CannotReply", "InvalidReply", "reply_body", "send_reply"]
