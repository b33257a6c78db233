"""Filters on the other events (statuses, errors, contacts, fields) and on conversation state."""

from __future__ import annotations

from typing import Any

from botkit.events import Contact, FieldEvent, Message, Status, WebhookError

from .context import current_conversation
from .filters_base import Filter, Predicate

KNOWN_STATUSES = ("sent", "delivered", "read", "played", "failed", "deleted", "warning")


def status(*values: str) -> Filter:
    """A status update whose value is one of ``values`` (``"sent"``, ``"delivered"``,
    ``"read"``, ``"played"``, ``"failed"``, ... values Meta adds later included)."""
    if not values:
        raise ValueError(f"status() needs at least one value, such as {', '.join(KNOWN_STATUSES)}")
    wanted = frozenset(v.lower() for v in values)
    return Predicate(lambda event: isinstance(event, Status) and event.status.lower() in wanted,
                     f"status({', '.join(map(repr, values))})")


def error_codes(event: Any) -> tuple[int, ...]:
    """Meta's error codes on a failed status, an unsupported message or a webhook error."""
    if isinstance(event, WebhookError):
        return (event.code,) if event.code is not None else ()
    if isinstance(event, Status | Message):
        return tuple(e.code for e in event.errors if e.code is not None)
    return ()


def error_code(*codes: int) -> Filter:
    """The event carries one of Meta's error ``codes`` (any code when none are given): a failed
    status, an unsupported message, or a webhook error. The handler gets ``error_code``."""
    for code in codes:
        if not isinstance(code, int) or isinstance(code, bool):
            raise TypeError(f"error codes are integers such as 131026, got {code!r}")
    wanted = frozenset(codes)

    def check(event: Any) -> dict[str, Any] | None:
        found = next((c for c in error_codes(event) if not wanted or c in wanted), None)
        return None if found is None else {"error_code": found}
    return Predicate(check, f"error_code({', '.join(map(repr, codes))})")


def field(*names: str, event: str | None = None) -> Filter:
    """An event of one of the webhook fields ``names`` (``"account_update"``,
    ``"message_template_status_update"``, ...); with ``event`` only field changes whose
    ``event`` (or ``decision``) is that value, such as ``"APPROVED"``."""
    if not names:
        raise ValueError("field() needs at least one webhook field name")
    wanted = frozenset(names)

    def check(item: Any) -> bool:
        if getattr(item, "field", None) not in wanted:
            return False
        return event is None or (isinstance(item, FieldEvent) and item.event == event)
    shown = ", ".join(map(repr, names)) + (f", event={event!r}" if event else "")
    return Predicate(check, f"field({shown})")


def contact_change(*changes: str) -> Filter:
    """A contact event of one of ``changes``: ``"profile"``, ``"changed_number"``,
    ``"identity_changed"``, ``"user_id_changed"`` (any change when none are given)."""
    wanted = frozenset(changes)
    return Predicate(lambda event: isinstance(event, Contact)
                     and (not wanted or event.change in wanted),
                     f"contact_change({', '.join(map(repr, changes))})")


def state(*names: str) -> Filter:
    """The current conversation is in one of the states ``names``.

    Reads :data:`botkit.routing.context.current_conversation`, which conversation storage sets
    while an event is routed; without a current conversation this never matches.
    """
    if not names:
        raise ValueError("state() needs at least one state name")
    wanted = frozenset(names)

    def check(event: Any) -> bool:
        conversation = current_conversation.get()
        return conversation is not None and getattr(conversation, "state", None) in wanted
    return Predicate(check, f"state({', '.join(map(repr, names))})")


__all__ = ["KNOWN_STATUSES", "contact_change", "error_code", "error_codes", "field", "state",
           "status"]
