"""Typed, frozen events handed to plugins; each keeps the raw dict for what it does not type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

#: What the store calls each kind of event; one per event class below (``Event.kind``).
EventKind = Literal["message", "status", "contact", "error", "field", "timer", "handoff"]

# System message types that mean the customer's identity changed, and what botkit calls the change.
SYSTEM_CHANGES = {
    "user_changed_number": "changed_number",
    "customer_changed_number": "changed_number",
    "customer_identity_changed": "identity_changed",
    "user_changed_user_id": "user_id_changed",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """What every event has: its stable key, where it came from, and the raw item."""

    key: str
    field: str
    waba_id: str
    phone_number_id: str | None = None
    display_phone_number: str | None = None
    timestamp: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    attempt: int = 1

    kind: ClassVar[str] = "event"


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo:
    """One error object (``code``, ``title``, ``message``, ``error_data.details``, ``href``)."""

    code: int | None
    title: str | None = None
    message: str | None = None
    details: str | None = None
    href: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErrorInfo:
        error_data = data.get("error_data")
        details = error_data.get("details") if isinstance(error_data, Mapping) else None
        code = data.get("code")
        return cls(
            code=code if isinstance(code, int) else None,
            title=data.get("title"),
            message=data.get("message"),
            details=details,
            href=data.get("href"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact(Event):
    """A customer's identity: from a profile on an inbound webhook or from an identity change."""

    kind: ClassVar[str] = "contact"

    wa_id: str | None = None
    user_id: str | None = None
    name: str | None = None
    username: str | None = None
    change: str = "profile"
    previous_wa_id: str | None = None
    previous_user_id: str | None = None

    @property
    def customer_id(self) -> str | None:
        """The key to file a customer under: the business-scoped user id when known, else wa_id."""
        return self.user_id or self.wa_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(Event):
    """An inbound message of any type (``raw[type]`` holds the type's object)."""

    kind: ClassVar[str] = "message"

    id: str
    type: str
    sender: str | None = None
    sender_user_id: str | None = None
    text: str | None = None
    reply_id: str | None = None
    context_id: str | None = None
    group_id: str | None = None
    contact: Contact | None = None
    errors: tuple[ErrorInfo, ...] = ()
    #: True when a person had this conversation when the event was dispatched: the bot's
    #: messages to the customer are held back (see conversation handoff).
    with_human: bool = False
    #: True when the object of the message's type is missing or does not match its schema:
    #: the message is still from this sender and can be answered, but its content (``text``,
    #: ``reply_id``, ``content``) cannot be relied on. ``incomplete_errors`` says what is wrong.
    incomplete: bool = False
    incomplete_errors: tuple[str, ...] = ()

    @property
    def content(self) -> Mapping[str, Any]:
        """The object under the key named like the type (``{}`` when there is none)."""
        value = self.raw.get(self.type)
        return value if isinstance(value, Mapping) else {}

    @property
    def recipient(self) -> str | None:
        """Whom a reply goes to: the sender's number, else their business-scoped user id."""
        return self.sender or self.sender_user_id

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
        from botkit.whatsapp.builders.base import message_bodies

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
                **limit)
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

    @property
    def identity_change(self) -> Contact | None:
        """For a system message that reports a changed number or identity, the changed contact."""
        if self.type != "system":
            return None
        system = self.content
        change = SYSTEM_CHANGES.get(str(system.get("type")))
        if change is None:
            return None
        new_wa_id = system.get("wa_id") or system.get("new_wa_id")
        new_user_id = system.get("user_id")
        return Contact(
            key=self.key,
            field=self.field,
            waba_id=self.waba_id,
            phone_number_id=self.phone_number_id,
            display_phone_number=self.display_phone_number,
            timestamp=self.timestamp,
            raw=self.raw,
            attempt=self.attempt,
            wa_id=new_wa_id if change == "changed_number" else self.sender,
            user_id=new_user_id or self.sender_user_id,
            change=change,
            previous_wa_id=self.sender if change == "changed_number" else None,
            previous_user_id=self.sender_user_id if new_user_id else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Status(Event):
    """A status update for a message the business sent."""

    kind: ClassVar[str] = "status"

    id: str
    status: str
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    errors: tuple[ErrorInfo, ...] = ()
    pricing_category: str | None = None
    pricing_model: str | None = None
    pricing_type: str | None = None
    conversation_id: str | None = None
    biz_opaque_callback_data: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookError(Event):
    """A value-level error: a system, app or account problem not tied to one message."""

    kind: ClassVar[str] = "error"

    code: int | None
    title: str | None = None
    message: str | None = None
    details: str | None = None
    href: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldEvent(Event):
    """A change of any field other than ``messages`` (``raw`` is the change's ``value``)."""

    kind: ClassVar[str] = "field"

    @property
    def value(self) -> Mapping[str, Any]:
        return self.raw

    @property
    def event(self) -> str | None:
        """The ``event`` (or ``decision``) the value names, when it has one."""
        value = self.raw.get("event", self.raw.get("decision"))
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Timer(Event):
    """A timer a plugin scheduled for a conversation, firing (once)."""

    kind: ClassVar[str] = "timer"

    timer_id: str
    name: str
    plugin: str
    conversation: str
    due_at: float
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def customer(self) -> str:
        """The customer's wa_id (or business-scoped user id) of the conversation."""
        return self.conversation.partition(":")[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class Handoff(Event):
    """A conversation went to a person (``started``) or back to the bot (``ended``)."""

    kind: ClassVar[str] = "handoff"

    action: Literal["started", "ended"]
    conversation: str
    by: str | None = None
    reason: str | None = None
    until: float | None = None

    @property
    def customer(self) -> str:
        return self.conversation.partition(":")[2]
