"""Read receipts and the typing indicator, sent through the shared Cloud API client."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING

from botkit import GraphError, Message, PermanentError

if TYPE_CHECKING:
    from botkit import Bot, WhatsAppClient

log = logging.getLogger("botkit.auto-reply")


class ReadReceipts:
    """Marks inbound messages read, remembering recent ones so that a message already marked
    by the typing indicator is not marked a second time."""

    def __init__(self, remember: int = 10_000) -> None:
        self._marked: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    async def show_typing(self, bot: Bot, message: Message) -> None:
        """Typing indicator before a reply; never stops the reply when it fails."""
        target = _markable(bot, message)
        if target is None:
            return
        client, phone_number_id = target
        try:
            await client.mark_read(phone_number_id, message.id, typing=True)
        except GraphError as exc:
            log.warning("typing indicator for %s failed: %s", message.id, exc)
            return
        self._remember_marked(message.key)

    async def mark_read(self, bot: Bot, message: Message) -> None:
        """Blue ticks for ``message``. Transient Graph errors propagate (botkit retries this
        plugin); permanent ones become :class:`botkit.PermanentError`."""
        target = _markable(bot, message)
        if target is None or message.key in self._marked:
            return
        client, phone_number_id = target
        try:
            await client.mark_read(phone_number_id, message.id)
        except GraphError as exc:
            if exc.retryable:
                raise
            raise PermanentError(f"cannot mark {message.id} as read: {exc}") from exc
        self._remember_marked(message.key)

    def _remember_marked(self, key: str) -> None:
        self._marked[key] = None
        while len(self._marked) > self._remember:
            self._marked.popitem(last=False)


def _markable(bot: Bot, message: Message) -> tuple[WhatsAppClient, str] | None:
    """The client and business number to mark ``message`` read with, or ``None``: only a
    customer's own message with an id can be marked, and only with a client."""
    if bot.whatsapp is None or message.phone_number_id is None:
        return None
    if message.type == "system" or "id" not in message.raw:
        return None
    return bot.whatsapp, message.phone_number_id
