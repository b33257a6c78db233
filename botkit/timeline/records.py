"""What a customer's timeline is made of: plain frozen records, the same from every store.

Times are unix seconds by the bot's clock (when the bot received, committed or fired
something), so entries from Meta and from the bot itself sort into one order. A customer's
message text is kept out of ``repr`` so that a record that ends up in a log line does not carry
it; pages and the command line read the field itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from botkit.conversations.records import WINDOW_SECONDS

#: How a plugin's delivery of an event ended, as the timeline words it.
#: done: first try; retried: done after several tries; retrying: not finished yet;
#: dead: gave up (a dead letter); in doubt: a send was cut off, never repeated.
OUTCOMES = ("done", "retried", "retrying", "dead", "in doubt")


@dataclass(frozen=True, slots=True)
class PluginDelivery:
    """One plugin's outcome for one event, from the delivery ledger and the dead letters."""

    plugin: str
    outcome: str
    attempts: int
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "outcome": self.outcome, "attempts": self.attempts,
                "error": self.error}


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A status Meta reported for a message the business sent."""

    status: str
    at: float
    timestamp: int | None = None
    errors: tuple[tuple[int | None, str | None], ...] = ()

    @property
    def error_codes(self) -> tuple[int, ...]:
        return tuple(code for code, _ in self.errors if code is not None)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "at": self.at, "timestamp": self.timestamp,
                "errors": [{"code": code, "title": title} for code, title in self.errors]}


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message the customer sent, with every plugin's delivery of it."""

    kind: ClassVar[str] = "inbound"
    at: float
    conversation: str
    key: str
    type: str
    text: str | None = field(default=None, repr=False)
    name: str | None = field(default=None, repr=False)
    state: str = "done"
    deliveries: tuple[PluginDelivery, ...] = ()

    @property
    def all_clean(self) -> bool:
        """Finished with no ledger row: every plugin did its part at the first try."""
        return self.state == "done" and not self.deliveries

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "conversation": self.conversation,
                "key": self.key, "type": self.type, "text": self.text, "name": self.name,
                "state": self.state, "all_plugins_done": self.all_clean,
                "deliveries": [d.as_json() for d in self.deliveries]}


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message a plugin (or an operator) queued in the outbox, and what became of it."""

    kind: ClassVar[str] = "outbound"
    at: float
    conversation: str
    event_key: str
    plugin: str
    index: int
    summary: str = field(repr=False)
    status: str
    result: str | None = None
    statuses: tuple[StatusReport, ...] = ()

    @property
    def wamid(self) -> str | None:
        """The message id Meta gave the message (or its fallback template), once sent."""
        if self.status != "sent" or not self.result:
            return None
        return self.result.removeprefix("fallback:")

    @property
    def fallback(self) -> bool:
        return self.status == "sent" and bool(self.result and self.result.startswith("fallback:"))

    @property
    def latest_status(self) -> str | None:
        return self.statuses[-1].status if self.statuses else None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "conversation": self.conversation,
                "event_key": self.event_key, "plugin": self.plugin, "index": self.index,
                "summary": self.summary, "status": self.status, "result": self.result,
                "wamid": self.wamid, "fallback": self.fallback,
                "statuses": [s.as_json() for s in self.statuses]}


@dataclass(frozen=True, slots=True)
class StatusOnly:
    """Statuses of a message the outbox does not know (sent some other way)."""

    kind: ClassVar[str] = "status"
    at: float
    conversation: str
    wamid: str
    statuses: tuple[StatusReport, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "conversation": self.conversation,
                "wamid": self.wamid, "statuses": [s.as_json() for s in self.statuses]}


@dataclass(frozen=True, slots=True)
class HandoffChange:
    """The conversation went to a person (``started``) or back to the bot (``ended``)."""

    kind: ClassVar[str] = "handoff"
    at: float
    conversation: str
    action: str
    by: str | None = None
    reason: str | None = None
    until: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "conversation": self.conversation,
                "action": self.action, "by": self.by, "reason": self.reason,
                "until": self.until}


@dataclass(frozen=True, slots=True)
class TimerEntry:
    """A timer a plugin scheduled: ``pending`` (``at`` is when it is due) or ``fired``."""

    kind: ClassVar[str] = "timer"
    at: float
    conversation: str
    timer_id: str
    plugin: str
    name: str
    state: str
    due_at: float
    deliveries: tuple[PluginDelivery, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "conversation": self.conversation,
                "timer_id": self.timer_id, "plugin": self.plugin, "name": self.name,
                "state": self.state, "due_at": self.due_at,
                "deliveries": [d.as_json() for d in self.deliveries]}


Entry = Inbound | Outbound | StatusOnly | HandoffChange | TimerEntry


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One conversation between a business number and a customer, as lists show it."""

    key: str
    mode: str = "bot"
    with_human: bool = False
    handoff_by: str | None = None
    handoff_until: float | None = None
    last_inbound_at: float | None = None
    window_open: bool = False
    last_activity: float | None = None
    name: str | None = field(default=None, repr=False)
    user_id: str | None = None

    @property
    def number(self) -> str:
        """The business phone number id."""
        return self.key.partition(":")[0]

    @property
    def customer(self) -> str:
        """The customer's wa_id (or business-scoped user id)."""
        return self.key.partition(":")[2]

    @property
    def window_closes_at(self) -> float | None:
        return None if self.last_inbound_at is None else self.last_inbound_at + WINDOW_SECONDS

    def as_json(self) -> dict[str, Any]:
        return {"conversation": self.key, "number": self.number, "customer": self.customer,
                "name": self.name, "user_id": self.user_id, "mode": self.mode,
                "with_human": self.with_human, "handoff_by": self.handoff_by,
                "handoff_until": self.handoff_until, "last_inbound_at": self.last_inbound_at,
                "window_open": self.window_open, "window_closes_at": self.window_closes_at,
                "last_activity": self.last_activity}


@dataclass(frozen=True, slots=True)
class Timeline:
    """Everything the store knows about one customer, oldest first.

    ``truncated`` is true when only the newest entries were read (see ``ENTRY_LIMIT``).
    """

    customer: str
    conversations: tuple[ConversationSummary, ...]
    entries: tuple[Entry, ...]
    truncated: bool = False

    @property
    def name(self) -> str | None:
        """The customer's latest profile name."""
        named = [c for c in self.conversations if c.name]
        return max(named, key=lambda c: c.last_activity or 0).name if named else None

    def as_json(self) -> dict[str, Any]:
        return {"customer": self.customer, "name": self.name,
                "conversations": [c.as_json() for c in self.conversations],
                "entries": [e.as_json() for e in self.entries], "truncated": self.truncated}


@dataclass(frozen=True, slots=True)
class NumberFunnel:
    """What became of the messages one business number sent: how many reached each status."""

    number: str
    display: str | None
    messages: int
    sent: int
    delivered: int
    read: int
    failed: tuple[tuple[int | None, int], ...] = ()  # (error code, messages), most first

    @property
    def failed_total(self) -> int:
        return sum(count for _, count in self.failed)

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "display": self.display, "messages": self.messages,
                "sent": self.sent, "delivered": self.delivered, "read": self.read,
                "failed": [{"code": code, "messages": count} for code, count in self.failed],
                "failed_total": self.failed_total}
