"""What every store does: durable append with dedupe, claims for dispatch, the delivery ledger."""

from __future__ import annotations

import abc

from botkit.store.records import AppendResult, Delivery, EventRecord, Reject, StoredEvent


class Store(abc.ABC):
    """Durable inbox: dedupe, quarantine, claims and the per-plugin delivery ledger."""

    #: True when :meth:`wait_for_events` hears of events committed by other processes.
    shared: bool = False

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def append(self, records: list[EventRecord], rejects: list[Reject] = (), *,
                     hand_out: bool = False) -> AppendResult:
        """Commit new events (duplicates by key are skipped) and rejects in one durable step.

        With ``hand_out`` the caller's process is ready to dispatch the new events at once: a
        store that can returns them in ``AppendResult.fresh``, counted as handed out like a
        claim, so that they are not read back. It hands out only when no older event is still
        waiting to be claimed (order within a conversation); other stores ignore the flag."""

    @abc.abstractmethod
    async def quarantine(self, reason: str, body: bytes) -> None:
        """Durably keep an authentic body that cannot be parsed, with the reason."""

    @abc.abstractmethod
    async def claim(self, limit: int) -> list[StoredEvent]:
        """Hand out up to ``limit`` pending events, oldest first, counting the attempt."""

    async def wait_for_events(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for events added by any process; True when some came.
        Stores that cannot tell return False at once: the dispatcher then waits for its own
        process to say it committed events."""
        return False

    def rewind(self) -> None:  # noqa: B027 - optional for stores that never skip events
        """Look again for pending events that were added behind the read position (replays)."""

    @abc.abstractmethod
    async def settle(self, event: StoredEvent, state: str, deliveries: list[Delivery]) -> None:
        """Finish an event (``done``, ``dead`` or ``quarantined``) and record its deliveries."""

    async def settle_many(self, items: list[tuple[StoredEvent, str, list[Delivery]]]) -> None:
        """Finish several events at once (stores override this to write them in one step)."""
        for event, state, deliveries in items:
            await self.settle(event, state, deliveries)

    @abc.abstractmethod
    async def record_delivery(self, event: StoredEvent, delivery: Delivery) -> None:
        """Record one plugin's outcome before the event is finished (survives a crash)."""

    @abc.abstractmethod
    async def quarantine_event(self, event: StoredEvent, reason: str) -> None:
        """Move an event that failed its schema to quarantine."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise :class:`botkit.StoreError` when the store cannot be reached."""

    @abc.abstractmethod
    async def pending_count(self) -> int:
        """How many events wait for dispatch (the backlog)."""

    async def oldest_pending(self) -> float | None:
        """When the oldest event still waiting for dispatch was received (None: none, or the
        store cannot tell)."""
        return None

    async def purge(self, now: float, *, pause: float = 0.0) -> dict[str, int]:
        """Purge what is past its retention: finished events and dedupe keys after the dedupe
        window, dead letters and quarantined items after their own retention. Works in small
        steps (``pause`` seconds apart) so that appends are never held up for long. Returns how
        many of each kind went (kinds with none are left out)."""
        return {}

    async def purge_expired(self, now: float) -> int:
        """Run :meth:`purge`; returns how many events it forgot."""
        return (await self.purge(now)).get("events", 0)
