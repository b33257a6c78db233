"""The conversation side of a store; SQLite and Redis implement it with the same guarantees."""

from __future__ import annotations

import abc

from botkit.conversations.records import (
    Changes,
    ConversationInfo,
    ModeChange,
    OutboxItem,
    PluginState,
    PriorHandling,
    TimerSpec,
)


class ConversationStore(abc.ABC):
    """Durable conversation state, timers, outbox and handoff, beside the event log."""

    async def open(self) -> None:  # noqa: B027 - only some backends need to prepare
        """Prepare storage (tables); called once the bot's store is open."""

    @abc.abstractmethod
    async def info(self, conversation: str) -> ConversationInfo:
        """The conversation-wide facts (a conversation never seen reads as a fresh one)."""

    @abc.abstractmethod
    async def plugin_state(self, conversation: str, plugin: str) -> PluginState:
        """``plugin``'s dialog state in ``conversation`` (raw: expiry is applied by callers)."""

    @abc.abstractmethod
    async def prior(self, event_key: str, plugin: str) -> PriorHandling:
        """What an earlier attempt at the event ``event_key`` by ``plugin`` committed."""

    @abc.abstractmethod
    async def commit(self, event_key: str, plugin: str, conversation: str,
                     changes: Changes, now: float) -> None:
        """Commit ``changes`` and mark the event handled by ``plugin``, in one atomic step.

        Committing the same event and plugin twice is refused (``StoreError``): the second
        attempt must have read :meth:`prior` and skipped the handler.
        """

    @abc.abstractmethod
    async def mark_sent(self, event_key: str, plugin: str, item: OutboxItem,
                        now: float) -> None:
        """Record an outbox item's new status (``sending`` before the send, then the result)."""

    @abc.abstractmethod
    async def set_mode(self, conversation: str, change: ModeChange, now: float) -> bool:
        """Hand the conversation to a human or back to the bot; False when nothing changed."""

    @abc.abstractmethod
    async def handoffs(self, now: float) -> list[ConversationInfo]:
        """Conversations a human has now."""

    @abc.abstractmethod
    async def fire_due_timers(self, now: float, limit: int = 100) -> int:
        """Turn due timers into ``timer`` events in the event log, each exactly once."""

    @abc.abstractmethod
    async def next_timer_due(self) -> float | None:
        """When the earliest pending timer is due (None: none pending)."""

    @abc.abstractmethod
    async def cancel_timer(self, timer_id: str, now: float) -> bool:
        """Cancel a pending timer; False when it is unknown, fired or cancelled already."""

    @abc.abstractmethod
    async def timers(self, conversation: str | None = None) -> list[TimerSpec]:
        """Pending timers, soonest first, of one conversation or of all."""

    @abc.abstractmethod
    async def customer_conversations(self, customer: str) -> list[str]:
        """The conversation keys (``<phone_number_id>:<customer>``) known for a customer."""

    async def note_inbound_many(self, latest: dict[str, float]) -> None:
        """:meth:`note_inbound` for several conversations (stores write them in one step)."""
        for conversation, timestamp in latest.items():
            await self.note_inbound(conversation, timestamp)

    @abc.abstractmethod
    async def note_inbound(self, conversation: str, timestamp: float) -> None:
        """The customer wrote at ``timestamp`` (keeps the latest only)."""
