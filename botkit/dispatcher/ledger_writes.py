"""The dispatcher's writes behind the hot path: settled events, the customers' last inbound
times (the 24-hour window), quarantined events.

Everything finished in one turn of the event loop is written in one store call, and the
dispatcher never waits for these writes: a crash before one lands only means the event is
dispatched again (the ledger's promise), never that it is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from botkit._logging import log_round
from botkit.events import Event, Message
from botkit.store.records import Delivery, StoredEvent

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.dispatcher.delivery import Job

log = logging.getLogger("botkit.worker")


class LedgerWrites:
    """Collects what the dispatcher finished and writes it in one call per loop turn."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._writes: set[asyncio.Future[Any]] = set()
        self._settles: list[tuple[StoredEvent, str, list[Delivery]]] = []
        #: Events dispatched since the last flush, for the one INFO line per round.
        self.received: list[Event] = []
        #: Conversation -> the latest inbound message timestamp not written yet.
        self._inbound: dict[str, float] = {}

    @property
    def pending(self) -> bool:
        """Something is still to be written, or being written."""
        return bool(self._writes or self._settles)

    def settle_later(self, stored: StoredEvent, state: str, deliveries: list[Delivery]) -> None:
        """Queue the event's final state; everything finished in one loop turn is written in
        one store call."""
        if not self._settles:
            asyncio.get_running_loop().call_soon(self.flush)
        self._settles.append((stored, state, deliveries))

    def note_inbound(self, jobs: list[Job]) -> None:
        """Remember when each customer last wrote (the 24-hour window). Written with the next
        settle, in the same store commit (no commit of its own on the hot path): sends of an
        event count from its own timestamp, recorded or not."""
        latest = self._inbound
        for job in jobs:
            event = job.event
            if isinstance(event, Message) and event.timestamp is not None:
                key = job.stored.conversation
                latest[key] = max(latest.get(key, 0.0), float(event.timestamp))

    def flush(self) -> None:
        received, self.received = self.received, []
        log_round(received)
        items, self._settles = self._settles, []
        inbound, self._inbound = self._inbound, {}
        if inbound:
            self.spawn(self.bot.conversations.note_inbound_many(inbound))
        if items:
            self.spawn(self.bot.store.settle_many(items))

    async def finish(self) -> None:
        """At a stop: write what is queued and wait for every write under way."""
        if self._settles or self._inbound:
            self.flush()
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def spawn(self, coroutine: Awaitable[Any]) -> None:
        """Ledger writes need not hold up dispatch; a crash before them only means a redelivery."""
        future = asyncio.ensure_future(coroutine)
        self._writes.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[Any]) -> None:
        self._writes.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("ledger write failed: %s", future.exception())
