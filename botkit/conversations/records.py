"""What the conversation layer stores: plain records shared by the SQLite and Redis backends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from botkit.store.records import EventRecord

#: How long after the customer's last message free-form messages may be sent (Meta's rule).
WINDOW_SECONDS = 24 * 3600

Mode = Literal["bot", "human"]
#: pending: committed, not yet sent. sending: a send started (a crash here is "outcome
#: unknown"). sent / failed: done. suppressed: not sent because a human has the conversation.
OutboxStatus = Literal["pending", "sending", "sent", "failed", "suppressed"]


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    """The conversation-wide facts: who has it (bot or human) and when the customer last wrote."""

    key: str
    mode: Mode = "bot"
    handoff_until: float | None = None
    handoff_by: str | None = None
    handoff_reason: str | None = None
    last_inbound_at: float | None = None

    def with_human(self, now: float) -> bool:
        """Whether a human has the conversation at ``now`` (a handoff TTL may have run out)."""
        return self.mode == "human" and (self.handoff_until is None or self.handoff_until > now)

    def window_closes_at(self) -> float | None:
        """When the 24-hour customer-service window closes (None: the customer never wrote)."""
        return None if self.last_inbound_at is None else self.last_inbound_at + WINDOW_SECONDS

    def window_open(self, now: float) -> bool:
        closes = self.window_closes_at()
        return closes is not None and now < closes


@dataclass(frozen=True, slots=True)
class PluginState:
    """One plugin's dialog state in one conversation."""

    state: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    expires_at: float | None = None

    def current(self, now: float) -> PluginState:
        """The state as seen at ``now``: an expired state reads as none."""
        if self.expires_at is not None and self.expires_at <= now:
            return PluginState()
        return self


@dataclass(frozen=True, slots=True)
class TimerSpec:
    """A callback scheduled for a conversation; it fires once, as a ``timer`` event."""

    id: str
    conversation: str
    plugin: str
    name: str
    due_at: float
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OutboxItem:
    """A message a handler asked to send, kept with its delivery record until it is sent."""

    index: int
    phone_number_id: str
    to: str | None
    recipient: str | None
    body: dict[str, Any]
    fallback: dict[str, Any] | None = None
    status: OutboxStatus = "pending"
    result: str | None = None
    #: Queued before the same handler handed the conversation to a person: still sent (the
    #: bot's last word, e.g. "a person will take over").
    before_handoff: bool = False

    @property
    def free_form(self) -> bool:
        """Anything but a template needs the 24-hour window."""
        return self.body.get("type") != "template"


@dataclass(frozen=True, slots=True)
class ModeChange:
    """A handoff (``mode="human"``) or a hand-back (``mode="bot"``) asked for by a handler."""

    mode: Mode
    until: float | None = None
    by: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class Changes:
    """Everything one handler run changes, committed in one step with its delivery record."""

    state: PluginState | None = None
    state_changed: bool = False
    timers: list[TimerSpec] = field(default_factory=list)
    cancelled_timers: list[str] = field(default_factory=list)
    cancelled_names: list[str] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    mode: ModeChange | None = None
    #: Events botkit stores with the commit (a handoff's ``handoff_*`` event).
    events: list[EventRecord] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.state_changed or self.timers or self.cancelled_timers
                    or self.cancelled_names or self.outbox or self.mode or self.events)


@dataclass(frozen=True, slots=True)
class PriorHandling:
    """What an earlier attempt at the same event and plugin committed: whether the handler's
    effects are in, and its messages with their send status."""

    handled: bool
    outbox: list[OutboxItem]
