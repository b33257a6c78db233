"""The template cache's delivery target: template webhooks update the cache as they arrive.

Shaped like the core's own targets (:mod:`botkit.conversations.core_target`): the dispatcher
asks :func:`template_target` for each event and runs what it returns once, in order with the
account's other template events, with retries and a dead letter like any target.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from botkit.events import Event, FieldEvent
from botkit.message_templates.sending import template_cache
from botkit.message_templates.webhooks import TEMPLATE_FIELDS, apply_template_event

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.store.records import StoredEvent

#: The delivery ledger's name for this target.
TEMPLATES_TARGET = "botkit.templates"


def template_target(bot: Bot, stored: StoredEvent, event: Event
                    ) -> Callable[[Event], Awaitable[None]] | None:
    """The cache update for a template webhook, or None for any other event."""
    if not isinstance(event, FieldEvent) or event.field not in TEMPLATE_FIELDS:
        return None

    async def update(_: Event) -> None:
        await apply_template_event(await template_cache(bot), event, bot.clock())
    return update
