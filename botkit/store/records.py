"""The records that cross the store's boundary, defined once.

The webhook writes :class:`EventRecord` and :class:`Reject`; the dispatcher reads
:class:`StoredEvent` and writes :class:`Delivery`. Every store implements the same shapes, so a
field added here is added for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # annotations only: the store's records do not need the event types loaded
    from botkit.events import EventKind

#: Outcomes the delivery ledger records for one plugin and one event.
DeliveryState = Literal["done", "retrying", "dead", "sending"]


@dataclass(slots=True)
class EventRecord:
    """One event as the store keeps it: ``payload`` is JSON with the item and its context."""

    key: str
    kind: EventKind
    conversation: str
    occurred_at: int | None
    payload: bytes
    #: ``payload`` still decoded, when it was just built from a parsed body (never stored):
    #: an event handed to the dispatcher straight from the append needs no second parse.
    context: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class Reject:
    """A part of an authentic body that cannot become an event; it is kept in quarantine."""

    reason: str
    fragment: bytes


@dataclass(slots=True)
class AppendResult:
    accepted: int
    duplicates: int
    #: The new events handed out with the append (``hand_out=True``, where the store can): this
    #: process dispatches them at once, as if it had claimed them, and no claim returns them.
    fresh: list[StoredEvent] = field(default_factory=list)


@dataclass(slots=True)
class StoredEvent:
    """An event handed to the dispatcher; ``attempt`` counts how often it was handed out."""

    seq: int
    key: str
    kind: EventKind
    conversation: str
    payload: bytes
    attempt: int
    settled_plugins: frozenset[str] = field(default_factory=frozenset)
    token: str | None = None
    # Targets that had started a send which may or may not have happened (see reply.py).
    in_doubt: frozenset[str] = field(default_factory=frozenset)
    received_at: float | None = None
    #: ``payload`` decoded, for an event handed out with its append (see ``EventRecord``).
    context: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class Delivery:
    """One plugin's outcome for one event, as the ledger records it."""

    plugin: str
    state: DeliveryState
    attempts: int
    error: str | None = None
