"""Sending what handlers queued: at most once each, within the rules of the conversation.

Each message is marked ``sending`` durably before the Graph API call and ``sent`` (with its
message id) after it. A message found ``sending`` on a later attempt was cut off by a crash: it
may or may not have reached the customer, so it is never sent again ("outcome unknown", a dead
letter). Before sending, the conversation's rules apply: while a person has the conversation the
bot's messages are held back (``suppressed``), and outside the 24-hour window a free-form
message is replaced by its fallback template (sent once for the event) or refused with
:class:`WindowClosed`, so no send is attempted that Meta would reject with 131047.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NoReturn

from botkit.conversations.records import OutboxItem
from botkit.errors import PermanentError
from botkit.events import Event, Message

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.store.records import StoredEvent

log = logging.getLogger("botkit.outbox")


class WindowClosed(PermanentError):
    """A free-form message to a customer whose 24-hour window is closed, with no fallback."""


async def send_outbox(bot: Bot, stored: StoredEvent, event: Event, plugin: str,
                      items: list[OutboxItem], *, conversation: str) -> None:
    """Send what handling ``event`` queued (see :func:`send_items`)."""
    inbound = (float(event.timestamp) if isinstance(event, Message)
               and event.timestamp is not None else None)
    await send_items(bot, stored.key, plugin, items, conversation=conversation,
                     inbound_at=inbound)


async def send_items(bot: Bot, event_key: str, plugin: str, items: list[OutboxItem], *,
                     conversation: str, inbound_at: float | None = None,
                     by_person: bool = False) -> None:
    """Send every item not sent yet, in order; raises to have the target retried or
    dead-lettered (a transient Graph error leaves the item ``pending`` for the retry).

    ``inbound_at`` is the timestamp of the customer message being answered, which may not be
    recorded as the conversation's last inbound message yet. ``by_person``: an operator's
    message, which a handoff does not hold back (that is what the handoff is for).
    """
    from botkit.whatsapp.errors import GraphError, OutcomeUnknown

    store = bot.conversations
    now = bot.clock()
    info = await store.info(conversation)
    last = info.last_inbound_at
    if inbound_at is not None:
        last = max(last or 0.0, inbound_at)
    window_open = last is not None and now < last + 24 * 3600
    fallback_used = any(i.status == "sent" and i.result and i.result.startswith("fallback:")
                        for i in items)
    for item in items:
        if item.status in ("sent", "failed", "suppressed"):
            continue
        if item.status == "sending":
            raise PermanentError(
                f"outcome unknown: the process stopped while message {item.index} of "
                f"{event_key} was being sent; not sent again to avoid a duplicate")
        body = item.body
        if info.with_human(now) and not item.before_handoff and not by_person:
            await _settle(bot, event_key, plugin, item, "suppressed", "a person has the "
                          "conversation")
            continue
        if item.free_form and not window_open:
            fallback = item.fallback or configured_fallback(bot, item.phone_number_id)
            if fallback is None:
                await _settle(bot, event_key, plugin, item, "failed", "window closed")
                raise WindowClosed(
                    f"the customer's 24-hour window is closed; message {item.index} of "
                    f"{event_key} was not sent (give it a fallback template)")
            if fallback_used:
                await _settle(bot, event_key, plugin, item, "suppressed", "fallback sent already")
                continue
            body, fallback_used = fallback, True
        if body.get("type") == "template":
            from botkit.message_templates import TemplateError, check_before_send

            try:
                await check_before_send(bot, body, item.phone_number_id)
            except (TemplateError, ValueError) as exc:
                await _settle(bot, event_key, plugin, item, "failed",
                              f"{type(exc).__name__}: {exc}")
                raise PermanentError(f"message {item.index} of {event_key} was not sent: "
                                     f"{exc}") from exc
        if bot.whatsapp is None:
            raise PermanentError("a plugin sent a message but no whatsapp.access_token is set")
        try:  # a builder's local media is uploaded before the bracket; an upload may repeat
            ready = await bot.whatsapp.resolve_uploads(item.phone_number_id, body)
        except (GraphError, ValueError) as exc:
            await _refused(bot, event_key, plugin, item, exc, "was not sent")
        item.status = "sending"
        await store.mark_sent(event_key, plugin, item, now)
        try:
            result = await bot.whatsapp.send(item.phone_number_id, item.to, ready,
                                             recipient=item.recipient, apply_policy=False)
        except OutcomeUnknown as exc:
            raise PermanentError(f"message {item.index} of {event_key} may or may not have "
                                 f"been sent; not sent again: {exc}") from exc
        except (GraphError, ValueError) as exc:
            await _refused(bot, event_key, plugin, item, exc, "was refused")
        bot.tracing.remember_send(result.message_id)
        tag = "fallback:" if body is not item.body else ""
        await _settle(bot, event_key, plugin, item, "sent", tag + result.message_id)


async def _settle(bot: Bot, event_key: str, plugin: str, item: OutboxItem, status: str,
                  result: str) -> None:
    item.status, item.result = status, result  # type: ignore[assignment]
    await bot.conversations.mark_sent(event_key, plugin, item, bot.clock())
    if status == "suppressed":
        log.info("message %d of %s held back: %s", item.index, event_key, result)


async def _refused(bot: Bot, event_key: str, plugin: str, item: OutboxItem, exc: Exception,
                   what: str) -> NoReturn:
    """An upload or send that failed: a retryable Graph error leaves the item ``pending`` and
    is raised as it is, for the target's retry; anything else fails the item for good."""
    from botkit.whatsapp.errors import GraphError

    retryable = isinstance(exc, GraphError) and exc.retryable
    await _settle(bot, event_key, plugin, item, "pending" if retryable else "failed",
                  f"{type(exc).__name__}: {exc}")
    if retryable:
        raise exc
    raise PermanentError(f"message {item.index} of {event_key} {what}: {exc}") from exc


def configured_fallback(bot: Bot, phone_number_id: str | None = None
                        ) -> dict[str, Any] | None:
    """The settings' fallback template message for the sending number, if one is configured
    (the number's own, else ``[conversations] fallback_template``)."""
    found = bot.settings.fallback_for(phone_number_id)
    if found is None:
        return None
    name, language = found
    return {"type": "template", "template": {"name": name, "language": {"code": language}}}
