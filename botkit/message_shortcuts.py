"""The shortcuts on an inbound message: reply, react, mark read, download or read kept media.

They live apart from the event types so that :mod:`botkit.events` stays a plain description of
what Meta sent. Inside a handler they reach the handling in progress (and through it the bot):
replies and reactions are queued in the outbox, kept with the plugin's delivery record and sent
at most once after the handler returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any


class MessageShortcuts:
    """Mixed into :class:`botkit.Message`."""

    __slots__ = ()

    if TYPE_CHECKING:
        id: str
        type: str
        sender: str | None
        sender_user_id: str | None
        phone_number_id: str | None

        @property
        def recipient(self) -> str | None: ...

        @property
        def content(self) -> Mapping[str, Any]: ...

    async def reply(self, body: str | Mapping[str, Any], *,
                    fallback: Mapping[str, Any] | None = None) -> Any:
        """Answer this message: ``body`` is a text, a message builder
        (:mod:`botkit.whatsapp.builders`) or a Cloud API message object.

        Inside a handler the reply is kept with the plugin's delivery record and sent once the
        handler returns: a retried or redelivered event never sends it twice. ``fallback`` (a
        template message) is sent instead when the customer's 24-hour window is closed. A
        text longer than 4,096 characters is sent as several messages, in order. Returns the
        queued outbox item (a list of them for a text sent in several parts).
        """
        from botkit.conversations.context import current_handling
        from botkit.whatsapp.builders.text import message_bodies

        handling = current_handling.get()
        if handling is None:
            raise RuntimeError("message.reply() works inside a handler; outside one, use "
                               "bot.whatsapp.send()")
        if not self.phone_number_id or not self.recipient:
            raise ValueError(f"cannot reply to {self.id}: no business number or sender")
        items = [handling.queue(self.phone_number_id, self.sender, part,
                                recipient=None if self.sender else self.sender_user_id,
                                fallback=fallback)
                 for part in message_bodies(body)]
        return items[0] if len(items) == 1 else items

    async def react(self, emoji: str | None, *, client: Any = None) -> Any:
        """React to this message with ``emoji``; ``None`` (or ``""``) removes the reaction.

        Inside a handler the reaction is queued like a reply (sent once, after the handler);
        outside one it is sent at once with ``client`` (``bot.whatsapp``). Returns the outbox
        item, or the client's send result.
        """
        from botkit.conversations.context import current_handling
        from botkit.whatsapp.builders.reaction import Reaction

        reaction = Reaction(self.id, emoji or "")
        if current_handling.get() is not None:
            return await self.reply(reaction)
        if client is None:
            raise RuntimeError("message.react() outside a handler needs client=bot.whatsapp")
        if not self.phone_number_id or not self.recipient:
            raise ValueError(f"cannot react to {self.id}: no business number or sender")
        return await client.send(self.phone_number_id, self.sender, reaction,
                                 recipient=None if self.sender else self.sender_user_id)

    async def mark_read(self, typing: bool = True, *, client: Any = None) -> None:
        """Mark this message read now (blue ticks), with a typing indicator unless ``typing``
        is False (it shows until the reply, or 25 seconds). Safe to repeat: a message marked
        twice stays read. Uses the bot's client inside a handler, else ``client``."""
        if not self.phone_number_id:
            raise ValueError(f"cannot mark {self.id} read: no business number")
        whatsapp = self._client("mark_read()", client)
        await whatsapp.mark_read(self.phone_number_id, self.id, typing=typing)

    async def download_media(self, *, client: Any = None, max_bytes: int | None = None
                             ) -> bytes:
        """The bytes of this message's image, video, audio, document or sticker, checked
        against the webhook's sha256. Uses the bot's client inside a handler, else
        ``client``; ``max_bytes`` bounds the download (default: Meta's largest, 100 MB)."""
        import asyncio
        import tempfile
        from pathlib import Path

        media_id = self.content.get("id")
        if not isinstance(media_id, str) or not media_id:
            raise ValueError(f"message {self.id} ({self.type}) carries no media to download")
        whatsapp = self._client("download_media()", client)
        sha256 = self.content.get("sha256")
        limit = {} if max_bytes is None else {"max_bytes": max_bytes}
        with tempfile.TemporaryDirectory(prefix="botkit-media-") as folder:
            path = await whatsapp.download_media(
                media_id, Path(folder), sha256=sha256 if isinstance(sha256, str) else None,
                phone_number_id=self.phone_number_id, **limit)
            return await asyncio.to_thread(path.read_bytes)

    def _client(self, what: str, client: Any) -> Any:
        """``client`` when given, else the bot's client of the handler running now."""
        if client is not None:
            return client
        from botkit.conversations.context import current_handling

        handling = current_handling.get()
        if handling is None:
            raise RuntimeError(f"message.{what} outside a handler needs client=bot.whatsapp")
        whatsapp = getattr(getattr(handling, "bot", None), "whatsapp", None)
        if whatsapp is None:
            raise RuntimeError(f"message.{what} needs the Cloud API client: set [whatsapp] "
                               "access_token")
        return whatsapp

    async def kept_media(self) -> Any:
        """The file botkit kept for this message's media (``[media] keep = true``): a
        :class:`botkit.inbound_media.KeptMedia`, or None (see docs/media.md). Inside a
        handler; elsewhere call ``botkit.inbound_media.kept_media(bot, message)``."""
        from botkit.conversations.context import current_handling
        from botkit.inbound_media.keeping import kept_media

        handling = current_handling.get()
        if handling is None:
            raise RuntimeError("message.kept_media() works inside a handler; outside one, use "
                               "botkit.inbound_media.kept_media(bot, message)")
        return await kept_media(handling.bot, self)
