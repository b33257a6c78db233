"""An operator's reply from the console, sent by the rules every plugin's message follows.

The reply is committed to the outbox first, under its own event key (``operator:<send id>``,
the id the form was rendered with) and a target named after the operator's session, exactly as
a handler's messages are committed with its delivery record; then it is sent by the outbox's
own sender. So the at-most-once ledger covers it (a form submitted twice finds its first commit
and sends nothing more; a send cut off by a crash is never repeated), the 24-hour window
applies (outside it only a template may go), and the reply shows in the timeline with its
status and Meta's reports like any other. Unlike a plugin's messages, it is not held back while
a person has the conversation: that person is the one sending it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import TYPE_CHECKING, Any

from botkit.conversations.outbox import send_items
from botkit.conversations.records import Changes, OutboxItem
from botkit.errors import PermanentError, StoreError

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.console.auth import Session

log = logging.getLogger("botkit.console")

#: The ids forms are rendered with (uuid4 hex); anything else is refused.
SEND_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_TEXT_CHARS = 4096  # WhatsApp's limit for a text message's body


class ReplyRefused(Exception):
    """The reply was not sent; the message says why, in words for the operator."""


def operator_name(session: Session) -> str:
    """``operator:<tag>``: the same for every action of one sign-in, and not the session id
    itself (that would put part of a cookie in the store and on pages)."""
    return "operator:" + hashlib.sha256(session.id.encode()).hexdigest()[:10]


def reply_body(text: str, template: str, language: str) -> dict[str, Any]:
    """The message the form asks for: a template when one is named, else the text."""
    text, template, language = text.strip(), template.strip(), language.strip() or "en_US"
    if template and text:
        raise ReplyRefused("Write a text or name a template, not both.")
    if template:
        if len(template) > 512 or not re.fullmatch(r"[a-z0-9_]+", template):
            raise ReplyRefused("A template name has lower-case letters, digits and "
                               "underscores only.")
        if not re.fullmatch(r"[A-Za-z]{2,3}(_[A-Za-z0-9]{2,4})?", language):
            raise ReplyRefused("A template language is a code like en_US or de.")
        return {"type": "template",
                "template": {"name": template, "language": {"code": language}}}
    if not text:
        raise ReplyRefused("Write a reply first (or name a template).")
    if len(text) > MAX_TEXT_CHARS:
        raise ReplyRefused(f"A reply is at most {MAX_TEXT_CHARS} characters.")
    return {"type": "text", "text": {"body": text}}


async def send_operator_reply(bot: Bot, conversation: str, operator: str,
                              body: dict[str, Any], send_id: str) -> OutboxItem:
    """Commit ``body`` for ``conversation`` (``<phone_number_id>:<customer>``) and send it once.

    Returns the outbox item (``status`` ``sent``, ``result`` the wamid). Raises
    :class:`ReplyRefused` when it is not sent: outside the window without a template, a send id
    that was used before, a refusal by the Graph API.
    """
    if not SEND_ID.match(send_id):
        raise ReplyRefused("This form is out of date; reload the page and write the reply "
                           "again.")
    store, now = bot.conversations, bot.clock()
    info = await store.info(conversation)
    item = _item(conversation, body)
    if item.free_form and not info.window_open(now):
        raise ReplyRefused("The customer's 24-hour window is closed: WhatsApp only delivers a "
                           "template now. Name an approved template to send one.")
    key = f"operator:{send_id}"
    if (await store.prior(key, operator)).handled:
        raise ReplyRefused("This reply was sent already (the form was submitted twice).")
    try:
        await store.commit(key, operator, conversation, Changes(outbox=[item]), now)
    except StoreError:
        if (await store.prior(key, operator)).handled:
            raise ReplyRefused("This reply was sent already (the form was submitted "
                               "twice).") from None
        raise
    try:
        await send_items(bot, key, operator, [item], conversation=conversation, by_person=True)
    except Exception as exc:  # every failure ends the item: the operator decides what next
        reason = _reason(exc)
        log.warning("console: reply by %s to %s not sent: %s", operator, conversation, reason)
        if item.status == "sending":  # cut off: it may have reached Meta
            raise ReplyRefused(f"Outcome unknown, so it is not sent again: {reason}. The "
                               "timeline shows Meta's status if it went out.") from None
        item.status, item.result = "failed", reason  # nothing reached the customer
        await store.mark_sent(key, operator, item, bot.clock())
        raise ReplyRefused(f"Not sent: {reason}") from None
    log.info("console: reply by %s to %s sent (%s)", operator, conversation, item.result)
    return item


def _item(conversation: str, body: dict[str, Any]) -> OutboxItem:
    """Phone numbers are digits; anything else is a business-scoped user id."""
    number, _, customer = conversation.partition(":")
    if customer.isdigit():
        return OutboxItem(0, number, customer, None, body)
    return OutboxItem(0, number, None, customer, body)


def _reason(exc: Exception) -> str:
    if isinstance(exc, PermanentError) and "no whatsapp.access_token" in str(exc):
        return "no whatsapp.access_token is set, so nothing can be sent"
    return f"{type(exc).__name__}: {exc}"
