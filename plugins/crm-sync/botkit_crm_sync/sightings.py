"""What an event tells about one customer, reduced to the facts a contact record keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botkit import Contact, FieldEvent, Message

OPT_VALUES = {"stop": True, "resume": False}


@dataclass(frozen=True)
class Sighting:
    """One fact about one customer; ``key`` makes applying it idempotent."""

    key: str
    wa_id: str | None
    user_id: str | None
    at: int | None = None
    name: str | None = None
    username: str | None = None
    message_type: str | None = None
    message_text: str | None = None
    previous_wa_id: str | None = None
    previous_user_id: str | None = None
    opted_out: bool | None = None

    @property
    def customer_id(self) -> str | None:
        """Customers are filed under their business-scoped user id when known, else wa_id."""
        return self.user_id or self.wa_id

    @property
    def moves(self) -> bool:
        """The customer changed number or user id: the record must follow them."""
        return bool(self.previous_wa_id or self.previous_user_id)


def from_message(message: Message, now: float) -> Sighting | None:
    """A customer message (system messages arrive as identity changes instead)."""
    if message.type == "system":
        return None
    contact = message.contact
    return _valid(Sighting(
        key=message.key,
        wa_id=message.sender or (contact.wa_id if contact else None),
        user_id=(contact.user_id if contact else None) or message.sender_user_id,
        at=message.timestamp or int(now),
        name=contact.name if contact else None,
        username=contact.username if contact else None,
        message_type=message.type,
        message_text=message.text,
    ))


def from_contact(contact: Contact) -> Sighting | None:
    """A profile seen on a webhook, or a changed number or user id."""
    moved = contact.change in ("changed_number", "user_id_changed")
    return _valid(Sighting(
        key=contact.key,
        wa_id=contact.wa_id,
        user_id=contact.user_id,
        at=contact.timestamp if moved else None,
        name=contact.name,
        username=contact.username,
        previous_wa_id=contact.previous_wa_id if moved else None,
        previous_user_id=contact.previous_user_id if moved else None,
    ))


def from_preferences(event: FieldEvent) -> list[Sighting]:
    """Marketing opt-outs (``stop``) and opt-ins (``resume``) of a ``user_preferences`` change."""
    if event.field != "user_preferences":
        return []
    items = [item for item in event.value.get("user_preferences") or ()
             if isinstance(item, Mapping) and item.get("value") in OPT_VALUES]
    sightings = []
    for i, item in enumerate(items):
        key = event.key if len(items) == 1 else f"{event.key}#{i}"
        sighting = _valid(Sighting(
            key=key, wa_id=_text(item.get("wa_id")), user_id=_text(item.get("user_id")),
            at=_int(item.get("timestamp")) or event.timestamp,
            opted_out=OPT_VALUES[item["value"]],
        ))
        if sighting is not None:
            sightings.append(sighting)
    return sightings


def _valid(sighting: Sighting) -> Sighting | None:
    return sighting if sighting.customer_id else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
