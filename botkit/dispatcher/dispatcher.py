"""Dispatch: claim stored events, check them, run every enabled plugin, retry, dead-letter.

Events of one conversation (business number + customer) are handled in order by one task at a
time; different conversations run concurrently, up to ``dispatch.concurrency``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

from botkit._logging import current_event
from botkit.decode import decode
from botkit.dispatcher.delivery import Deliverer, Job
from botkit.errors import StoreError
from botkit.events import Message
from botkit.json_codec import from_json
from botkit.store.records import Delivery, StoredEvent

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.worker")
REWIND_SECONDS = 3.0
# With nothing to claim, look again after this long at the latest.
IDLE_POLL_SECONDS = 1.0

class Dispatcher:
    """Feeds claimed events to per-conversation queues drained by a pool of tasks."""

    def __init__(self, bot: Bot, *, sleep=asyncio.sleep) -> None:
        self.bot = bot
        self.settings = bot.settings.dispatch
        self._sleep = sleep
        self._delivery = Deliverer(bot, sleep=sleep, spawn_write=self._spawn_write)
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._queues: dict[str, deque[Job]] = {}
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._queued = 0
        self._tasks: list[asyncio.Task] = []
        self._writes: set[asyncio.Future] = set()
        self._settles: list[tuple[StoredEvent, str, list[Delivery]]] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self.max_queued = max(self.settings.batch_size * 4, self.settings.concurrency * 4)

    def wake(self) -> None:
        """New events were committed: look for them now rather than at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._feed(), name="botkit-feed")]
        self._tasks += [asyncio.create_task(self._drain(), name=f"botkit-worker-{i}")
                        for i in range(self.settings.concurrency)]

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let running plugins finish (up to ``timeout``), flush the ledger."""
        feed, workers = self._tasks[:1], self._tasks[1:]
        for task in feed:
            task.cancel()
        if self._queued:
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except TimeoutError:
                log.warning("stopping with %d events still queued; they stay pending", self._queued)
        for task in workers:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._settles:
            self._flush_settles()
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        self._tasks = []

    async def wait_idle(self) -> None:
        """Until nothing is queued or running (tests use it after posting)."""
        await self._idle.wait()

    @property
    def idle(self) -> bool:
        """Nothing queued, running or waiting to be written to the ledger."""
        return not self._queued and not self._writes and not self._settles

    # -- feeding ---------------------------------------------------------------------------

    async def _feed(self) -> None:
        last_rewind = time.monotonic()
        while True:
            if time.monotonic() - last_rewind > REWIND_SECONDS:
                # Events replayed from the command line sit behind the read position.
                self.bot.store.rewind()
                last_rewind = time.monotonic()
            while self._queued >= self.max_queued:
                self._room.clear()
                await self._room.wait()
            self._wake.clear()
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
            if not claimed:
                await self._wait_for_events()
                continue
            jobs, rejected = await asyncio.to_thread(self._prepare, claimed)
            for stored, problems in rejected:
                self._spawn_write(self._quarantine(stored, problems))
            for job in jobs:
                self._enqueue(job)
            self._note_inbound(jobs)

    def _note_inbound(self, jobs: list[Job]) -> None:
        """Remember when each customer last wrote (the 24-hour window), off the dispatch path:
        sends of this event count from its own timestamp, recorded or not."""
        latest: dict[str, float] = {}
        for job in jobs:
            event = job.event
            if isinstance(event, Message) and event.timestamp is not None:
                key = job.stored.conversation
                latest[key] = max(latest.get(key, 0.0), float(event.timestamp))
        for key, timestamp in latest.items():
            self._spawn_write(self.bot.conversations.note_inbound(key, timestamp))

    async def _wait_for_events(self) -> None:
        """Until events may be waiting: a shared store hears of every process's commits (a
        ``botkit worker`` never gets the local wake-up); otherwise this process's wake-up."""
        store = self.bot.store
        if store.shared:
            try:
                await store.wait_for_events(IDLE_POLL_SECONDS)
                return
            except StoreError as exc:
                log.error("cannot wait for events: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    def _prepare(self, claimed: list[StoredEvent]
                 ) -> tuple[list[Job], list[tuple[StoredEvent, list[str]]]]:
        """Decode and check each event (in a thread: schema checks are CPU work)."""
        jobs, rejected = [], []
        humans = self.bot.humans
        for stored in claimed:
            try:
                context = from_json(stored.payload)
                problems = self.bot.validator.event_errors(stored.kind, context)
            except ValueError as exc:
                problems = [f"stored payload is not JSON: {exc}"]
            except RecursionError:
                problems = ["nested too deeply to check"]
            if problems:
                rejected.append((stored, problems))
                continue
            event = decode(stored.kind, stored.key, context, stored.attempt)
            if isinstance(event, Message) and stored.conversation in humans:
                event = replace(event, with_human=True)
            jobs.append(Job(stored, event))
        return jobs, rejected

    async def _quarantine(self, stored: StoredEvent, problems: list[str]) -> None:
        reason = "; ".join(problems[:20])
        log.warning("event %s fails its schema; kept in quarantine: %s", stored.key, reason)
        self.bot.stats.quarantined.labels("schema").inc()
        await self.bot.store.quarantine_event(stored, reason)

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
        while True:
            conversation = await self._ready.get()
            queue = self._queues[conversation]
            while queue:
                job = queue[0]
                try:
                    await self._run(job)
                except Exception:  # a bug in botkit itself: keep the worker alive
                    log.exception("dispatch of %s failed", job.stored.key)
                queue.popleft()
                self._queued -= 1
                self._room.set()
            del self._queues[conversation]
            if not self._queued:
                self._idle.set()

    async def _run(self, job: Job) -> None:
        token = current_event.set(job.stored.key)
        try:
            deliveries = await self._delivery.deliver_all(job)
        finally:
            current_event.reset(token)
        clean = all(d.state == "done" and d.attempts == 1 for d in deliveries)
        state = "dead" if any(d.state == "dead" for d in deliveries) else "done"
        # The ledger keeps a row per plugin only where something went wrong; a clean event is
        # one write.
        self._settle_later(job.stored, state, [] if clean else deliveries)

    def _settle_later(self, stored: StoredEvent, state: str, deliveries: list[Delivery]) -> None:
        """Queue the event's final state; everything finished in one loop turn is written in
        one store call."""
        if not self._settles:
            asyncio.get_running_loop().call_soon(self._flush_settles)
        self._settles.append((stored, state, deliveries))

    def _flush_settles(self) -> None:
        items, self._settles = self._settles, []
        self._spawn_write(self.bot.store.settle_many(items))

    def _spawn_write(self, coroutine) -> None:
        """Ledger writes need not hold up dispatch; a crash before them only means a redelivery."""
        future = asyncio.ensure_future(coroutine)
        self._writes.add(future)
        future.add_done_callback(self._write_done)

    def _write_done(self, future: asyncio.Future) -> None:
        self._writes.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("ledger write failed: %s", future.exception())
