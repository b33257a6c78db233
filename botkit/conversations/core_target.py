"""The core's own delivery target for an event, where it has one.

- A reply the business sent from the WhatsApp Business app (``smb_message_echoes``, when the
  app and the API share the number) hands that customer's conversation to a person.
- A handoff's expiry timer gives the conversation back to the bot, unless a person took it
  again with a later deadline in the meantime.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botkit.conversations.handoff import HANDOFF_TARGET, apply_handoff
from botkit.conversations.records import ModeChange
from botkit.events import Event, FieldEvent, Timer

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.store.records import StoredEvent

ECHO_FIELD = "smb_message_echoes"


def core_target(bot: Bot, stored: StoredEvent, event: Event
                ) -> Callable[[Event], Awaitable[None]] | None:
    """The core's work for this event, or None when there is none."""
    if isinstance(event, Timer) and event.plugin == HANDOFF_TARGET:
        async def expire(_: Event) -> None:
            info = await bot.conversations.info(event.conversation)
            now = bot.clock()
            if info.mode == "human" and info.handoff_until is not None and (
                    info.handoff_until <= now):
                await apply_handoff(bot.conversations, f"expired:{event.timer_id}",
                                    event.conversation,
                                    ModeChange("bot", by="handoff TTL"), now)
                bot.wake_dispatch()
        return expire
    if (isinstance(event, FieldEvent) and event.field == ECHO_FIELD
            and bot.settings.conversations.business_app_handoff):
        async def take(_: Event) -> None:
            now = bot.clock()
            ttl = bot.settings.conversations.handoff_ttl_seconds
            for index, customer in enumerate(_echo_customers(event)):
                conversation = f"{event.phone_number_id}:{customer}"
                change = ModeChange("human", None if ttl is None else now + ttl,
                                    "whatsapp business app",
                                    "the business replied from the WhatsApp Business app")
                await apply_handoff(bot.conversations, f"{stored.key}:{index}", conversation,
                                    change, now)
            bot.wake_dispatch()
        return take
    return None


def _echo_customers(event: FieldEvent) -> list[str]:
    """Whom the business wrote to, once each, in order."""
    echoes: Any = event.value.get("message_echoes")
    seen: list[str] = []
    for echo in echoes if isinstance(echoes, list) else []:
        to = echo.get("to") if isinstance(echo, dict) else None
        if isinstance(to, str) and to and to not in seen:
            seen.append(to)
    return seen
