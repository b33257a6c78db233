"""The core's delivery target ``botkit.media``: inbound media files are kept as they arrive.

Shaped like the core's other targets (:mod:`botkit.conversations.core_target`): the
dispatcher asks :func:`media_target` for each event and runs what it returns once, before the
plugins' targets, so a handler of the same message finds the file. A failed download is
retried like any delivery and becomes a dead letter after the last attempt; the plugins still
get the message (``kept_media`` then returns None).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from botkit.events import Event, Message
from botkit.inbound_media.keeping import keep_message_media, media_id_of

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.store.records import StoredEvent

#: The delivery ledger's name for this target.
MEDIA_TARGET = "botkit.media"


def media_target(bot: Bot, stored: StoredEvent, event: Event
                 ) -> Callable[[Event], Awaitable[None]] | None:
    """Keeping the file of an inbound media message, or None (not one, or keeping is off)."""
    if not isinstance(event, Message) or not bot.settings.media.keep:
        return None
    if media_id_of(event) is None:
        return None
    message = event

    async def keep(_: Event) -> None:
        await keep_message_media(bot, message)
    return keep
