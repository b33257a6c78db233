"""Typed, frozen events handed to plugins; each keeps the raw dict for what it does not type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from botkit.message_shortcuts import MessageShortcuts

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
class Message(MessageShortcuts, Event):
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
