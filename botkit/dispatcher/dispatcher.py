"""Dispatch: claim stored events, check them, run every enabled plugin, retry, dead-letter.

Events of one conversation (business number + customer) are handled in order by one task at a
time; different conversations run concurrently, up to ``dispatch.concurrency``. A plugin call
that has run for more than ``STUCK_SECONDS`` (hung, or slow, or waiting to be retried) stops
counting against that limit: another worker starts beside it, up to as many again, so that
stuck conversations never hold up the others. Every call also has its time limit (see
``delivery``), after which it is a failed attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING

from botkit._logging import current_event, log_received
from botkit.dispatcher.delivery import Deliverer, Job
from botkit.dispatcher.ledger_writes import LedgerWrites
from botkit.dispatcher.preparing import prepare_batch, quarantine
from botkit.dispatcher.slots import STUCK_SECONDS, Slot, counted, running_now
from botkit.errors import StoreError
from botkit.store.records import StoredEvent
from botkit.telemetry.attributes import dispatch_attributes, linked_context

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.worker")
REWIND_SECONDS = 3.0
# With nothing to claim, look again after this long at the latest.
IDLE_POLL_SECONDS = 1.0
WATCH_SECONDS = 0.25
#: Batches of up to this many events are checked on the event loop (see ``_queue_batch``).
INLINE_PREPARE = 32
#: Workers that stopped within the grace period of a stop are waited for this long at most.
CANCEL_WAIT_SECONDS = 2.0


class Dispatcher:
    """Feeds claimed events to per-conversation queues drained by a pool of tasks."""

    def __init__(self, bot: Bot, *, sleep=asyncio.sleep) -> None:
        self.bot = bot
        self.settings = bot.settings.dispatch
        self._sleep = sleep
        self._ledger = LedgerWrites(bot)
        self._delivery = Deliverer(bot, sleep=sleep, spawn_write=self._ledger.spawn)
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._queues: dict[str, deque[Job]] = {}
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._queued = 0
        self._tasks: list[asyncio.Task] = []
        self._slots: dict[asyncio.Task, Slot] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.max_queued = max(self.settings.batch_size * 4, self.settings.concurrency * 4)
        #: Events handed out with their appends, not yet queued (see :meth:`take`).
        self._fresh: list[StoredEvent] = []
        #: Events may wait in the store: claim before waiting again.
        self._claim_due = True
        self._running = False

    def wake(self) -> None:
        """New events were committed: look for them now rather than at the next poll."""
        self._claim_due = True
        self._wake.set()

    def has_room(self) -> bool:
        """Whether events handed out with their append now would be taken (see :meth:`take`);
        when not, they wait in the store for a claim."""
        return self._running and self._queued + len(self._fresh) < self.max_queued

    def take(self, events: list[StoredEvent]) -> None:
        """Dispatch events the store handed out with their append, as if claimed: no read
        back, no second parse. Queued by the feed task, in order with what it claims."""
        self._fresh += events
        self._idle.clear()
        self._wake.set()

    async def start(self) -> None:
        self._running = True
        self._tasks = [asyncio.create_task(self._feed(), name="botkit-feed"),
                       asyncio.create_task(self._watch(), name="botkit-watch")]
        for _ in range(self.settings.concurrency):
            self._add_worker()

    def _add_worker(self) -> None:
        task = asyncio.create_task(self._drain(), name=f"botkit-worker-{len(self._slots)}")
        self._slots[task] = Slot()
        task.add_done_callback(lambda done: self._slots.pop(done, None))

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let running plugins finish (up to ``timeout``), flush the ledger.

        What is still queued when the time is up is logged (the events stay pending and are
        dispatched again by the next start); workers are then cancelled."""
        self._running = False
        for task in self._tasks:
            task.cancel()
        if self._queued:
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except TimeoutError:
                self._log_left_behind(timeout)
        workers = list(self._slots)
        for task in workers:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if workers:
            _, refusing = await asyncio.wait(workers, timeout=CANCEL_WAIT_SECONDS)
            if refusing:
                log.error("%d plugin call(s) ignored the stop and are left running",
                          len(refusing))
        await self._ledger.finish()
        self._tasks = []

    def _log_left_behind(self, timeout: float) -> None:
        running = running_now(self._slots.values())
        log.warning("stopping after %g s with %d event(s) still queued: %d running (%s), %d "
                    "waiting; they stay pending and are dispatched again at the next start",
                    timeout, self._queued, len(running), "; ".join(running) or "none",
                    self._queued - len(running))

    async def wait_idle(self) -> None:
        """Until nothing is queued or running (tests use it after posting)."""
        await self._idle.wait()

    @property
    def idle(self) -> bool:
        """Nothing queued, running or waiting to be written to the ledger."""
        return not self._queued and not self._fresh and not self._ledger.pending

    # -- feeding ---------------------------------------------------------------------------

    async def _feed(self) -> None:
        last_rewind = last_claim = time.monotonic()
        while True:
            if time.monotonic() - last_rewind > REWIND_SECONDS:
                # Events replayed from the command line sit behind the read position.
                self.bot.store.rewind()
                last_rewind = time.monotonic()
                self._claim_due = True
            while self._queued >= self.max_queued:
                self._room.clear()
                await self._room.wait()
            claimed: list[StoredEvent] = []
            if self._claim_due or time.monotonic() - last_claim > IDLE_POLL_SECONDS:
                self._claim_due = False
                last_claim = time.monotonic()
                try:
                    claimed = await self.bot.store.claim(self.settings.batch_size)
                except StoreError as exc:
                    log.error("cannot claim events: %s", exc)
                    await self._sleep(1.0)
                    continue
                except Exception:  # a bug must not end dispatch for good
                    log.exception("claiming events failed")
                    await self._sleep(1.0)
                    continue
                # More may wait behind these: claim again until a claim finds nothing.
                self._claim_due = bool(claimed)
            if self._fresh:  # handed out meanwhile: one batch, in the order of the store
                claimed = sorted(claimed + self._fresh, key=_seq) if claimed else self._fresh
                self._fresh = []
            if not claimed:
                if not self._claim_due:
                    await self._wait_for_events()
                continue
            await self._queue_batch(claimed)

    async def _queue_batch(self, claimed: list[StoredEvent]) -> None:
        """Check and decode claimed events (in a thread when there are many: schema checks
        are CPU work; handing a few to a thread and back costs more than checking them), then
        queue each, or settle it at once when no target needs it."""
        try:
            if len(claimed) <= INLINE_PREPARE:
                jobs, rejected = prepare_batch(self.bot, claimed)
            else:
                jobs, rejected = await asyncio.to_thread(prepare_batch, self.bot, claimed)
        except Exception:  # prepare_batch guards each event; this is the thread call itself
            log.exception("preparing %d claimed events failed", len(claimed))
            await self._sleep(1.0)
            return
        for stored, problems in rejected:
            self._ledger.spawn(quarantine(self.bot, stored, problems))
        traced = self.bot.tracing.enabled  # every event then gets its dispatch span
        for job in jobs:
            if traced or self._delivery.pending(job):
                self._enqueue(job)
            else:  # e.g. a contact no plugin listens to: stored, nothing to run
                self._ledger.received.append(job.event)
                self._ledger.settle_later(job.stored, "done", [])
        self._ledger.note_inbound(jobs)
        if not self._queued and not self._fresh:
            self._idle.set()  # nothing of this batch was queued

    async def _wait_for_events(self) -> None:
        """Until events may be waiting: a shared store hears of every process's commits (a
        ``botkit worker`` never gets the local wake-up); otherwise this process's wake-up
        (events to claim) or hand-over (events to take, see :meth:`take`)."""
        store = self.bot.store
        if store.shared:
            try:
                await store.wait_for_events(IDLE_POLL_SECONDS)
                self._claim_due = True
                return
            except StoreError as exc:
                log.error("cannot wait for events: %s", exc)
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
        except TimeoutError:
            self._claim_due = True

    def _enqueue(self, job: Job) -> None:
        self._queued += 1
        self._idle.clear()
        conversation = job.stored.conversation
        queue = self._queues.get(conversation)
        if queue is None:
            self._queues[conversation] = deque([job])
            self._ready.put_nowait(conversation)
        else:
            queue.append(job)

    # -- running ---------------------------------------------------------------------------

    async def _drain(self) -> None:
        slot = self._slots[asyncio.current_task()]  # type: ignore[index]
        while True:
            conversation = await self._ready.get()
            queue = self._queues[conversation]
            while queue:
                job = queue[0]
                slot.job, slot.since, slot.warned = job, time.monotonic(), False
                try:
                    await self._run(job)
                except Exception:  # a bug in botkit itself: keep the worker alive
                    log.exception("dispatch of %s failed", job.stored.key)
                slot.job = slot.since = None
                queue.popleft()
                self._queued -= 1
                self._room.set()
            del self._queues[conversation]
            if not self._queued and not self._fresh:
                self._idle.set()
            if len(self._slots) > self.settings.concurrency and (
                    counted(self._slots.values()) > self.settings.concurrency):
                return  # an extra worker that is no longer needed

    async def _watch(self) -> None:
        """Start another worker beside each stuck one while work waits (up to twice
        ``concurrency`` workers in all), and say which calls are stuck."""
        limit = self.settings.concurrency
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            now = time.monotonic()
            stuck = [slot for slot in self._slots.values() if slot.stuck(now)]
            self.bot.stats.stuck_calls.set(len(stuck))
            for slot in stuck:
                if not slot.warned and slot.job is not None:
                    slot.warned = True
                    log.warning("%s has been in %s for over %g s; other conversations are "
                                "dispatched beside it", slot.job.stored.key,
                                slot.job.running or "botkit", STUCK_SECONDS)
            missing = min(limit - (len(self._slots) - len(stuck)),
                          2 * limit - len(self._slots), self._ready.qsize())
            for _ in range(max(0, missing)):
                self._add_worker()

    async def _run(self, job: Job) -> None:
        token = current_event.set(job.stored.key)
        try:
            log_received(job.event)
            self._ledger.received.append(job.event)
            tracing = self.bot.tracing
            if tracing.enabled:
                with tracing.span("dispatch.event", dispatch_attributes(job),
                                  links_to=linked_context(tracing, job)):
                    deliveries = await self._delivery.deliver_all(job)
            else:
                deliveries = await self._delivery.deliver_all(job)
        finally:
            current_event.reset(token)
        clean = all(d.state == "done" and d.attempts == 1 for d in deliveries)
        state = "dead" if any(d.state == "dead" for d in deliveries) else "done"
        # The ledger keeps a row per plugin only where something went wrong; a clean event is
        # one write.
        self._ledger.settle_later(job.stored, state, [] if clean else deliveries)


def _seq(event: StoredEvent) -> int:
    return event.seq
