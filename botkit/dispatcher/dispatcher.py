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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_not_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from botkit._logging import current_event
from botkit.decode import decode
from botkit.dispatcher.reply_target import REPLY_TARGET, send_reply
from botkit.errors import PermanentError, StoreError
from botkit.events import Event, Message
from botkit.hooks import call_all, call_plugin
from botkit.json_codec import from_json
from botkit.store.records import Delivery, StoredEvent

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.worker")
REWIND_SECONDS = 3.0
# With nothing to claim, look again after this long at the latest.
IDLE_POLL_SECONDS = 1.0

HOOK_FOR_KIND = {
    "message": "message_received",
    "status": "status_received",
    "contact": "contact_updated",
    "error": "error_received",
    "field": "event_received",
}
ARG_FOR_HOOK = {
    "message_received": "message",
    "status_received": "status",
    "contact_updated": "contact",
    "error_received": "error",
    "event_received": "event",
}


@dataclass(slots=True)
class Job:
    stored: StoredEvent
    event: Event


class Dispatcher:
    """Feeds claimed events to per-conversation queues drained by a pool of tasks."""

    def __init__(self, bot: Bot, *, sleep=asyncio.sleep) -> None:
        self.bot = bot
        self.settings = bot.settings.dispatch
        self._sleep = sleep
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
            jobs.append(Job(stored, decode(stored.kind, stored.key, context, stored.attempt)))
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
            deliveries = [
                await self._deliver(job, target, call)
                for target, call in self._targets(job)
                if target not in job.stored.settled_plugins
            ]
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

    def _targets(self, job: Job) -> list[tuple[str, Any]]:
        """(ledger name, coroutine function) for each delivery this event needs, in order."""
        plugins, event = self.bot.plugins, job.event
        targets: list[tuple[str, Any]] = []
        if isinstance(event, Message) and plugins.implementing("reply_for_message"):
            targets.append((REPLY_TARGET, self._reply_call(job)))
        hook = HOOK_FOR_KIND[job.stored.kind]
        change = event.identity_change if isinstance(event, Message) else None
        for name in plugins.names:
            calls = []
            if plugins.impls(hook, name):
                calls.append((hook, ARG_FOR_HOOK[hook]))
            if change is not None and plugins.impls("contact_updated", name):
                calls.append(("contact_updated", "contact"))
            if calls:
                targets.append((name, self._plugin_call(name, calls, change)))
        return targets

    def _reply_call(self, job: Job):
        """The reply sender, bracketed by ledger rows so that a crash never sends twice."""
        store = self.bot.store

        async def call(event: Event) -> None:
            async def before_send() -> None:
                await store.record_delivery(job.stored,
                                            Delivery(REPLY_TARGET, "sending", event.attempt))

            if await send_reply(self.bot, event, before_send):
                await store.record_delivery(job.stored, Delivery(REPLY_TARGET, "done", 1))
        return call

    def _plugin_call(self, name: str, calls: list[tuple[str, str]], change: Any):
        async def call(event: Event) -> None:
            for hook, arg in calls:
                value = event if hook != "contact_updated" or change is None else (
                    replace(change, attempt=event.attempt))
                await call_plugin(self.bot.plugins, hook, name, bot=self.bot, **{arg: value})
        return call

    async def _deliver(self, job: Job, target: str, call) -> Delivery:
        """Run one target once, the common case, without any retry machinery."""
        if target in job.stored.in_doubt:
            error = PermanentError("outcome unknown: the process stopped while this was being "
                                   "sent; not sent again to avoid a duplicate")
            self._note_failure(job, target, 1, error)
            await self._dead_letter(job, target, 1, error)
            return Delivery(target, "dead", 1, str(error))
        started = time.perf_counter()
        try:
            await call(job.event)
        except Exception as exc:
            self._note_failure(job, target, 1, exc)
            if isinstance(exc, PermanentError) or self.settings.max_attempts == 1:
                await self._dead_letter(job, target, 1, exc)
                return Delivery(target, "dead", 1, f"{type(exc).__name__}: {exc}")
            return await self._retry(job, target, call)
        self.bot.stats.delivered(target, time.perf_counter() - started)
        return Delivery(target, "done", 1)

    async def _retry(self, job: Job, target: str, call) -> Delivery:
        """Attempts 2 to ``max_attempts``, with exponential backoff and jitter (tenacity)."""
        settings = self.settings
        first = job.stored.attempt
        attempts = 1
        backoff = wait_random_exponential(multiplier=settings.backoff_initial,
                                          max=settings.backoff_max)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(settings.max_attempts - 1)
            | stop_after_delay(settings.max_retry_seconds),
            wait=backoff,
            retry=retry_if_not_exception_type(PermanentError),
            sleep=self._sleep,
            reraise=True,
        )
        await self._sleep(backoff(RetryCallState(retrying, None, (), {})))
        started = time.perf_counter()
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number + 1
                    try:
                        await call(replace(job.event, attempt=first + attempts - 1))
                    except Exception as exc:
                        self._note_failure(job, target, attempts, exc)
                        raise
        except Exception as exc:
            await self._dead_letter(job, target, attempts, exc)
            return Delivery(target, "dead", attempts, f"{type(exc).__name__}: {exc}")
        self.bot.stats.delivered(target, time.perf_counter() - started)
        return Delivery(target, "done", attempts)

    def _note_failure(self, job: Job, target: str, attempts: int, exc: Exception) -> None:
        permanent = isinstance(exc, PermanentError)
        log.warning("plugin %s failed on %s (attempt %d%s): %s: %s", target, job.stored.key,
                    attempts, ", permanent" if permanent else "", type(exc).__name__, exc)
        self.bot.stats.failed(target)
        if attempts == 1 and not permanent:
            self._spawn_write(self.bot.store.record_delivery(
                job.stored, Delivery(target, "retrying", attempts, f"{type(exc).__name__}: {exc}")))

    async def _dead_letter(self, job: Job, target: str, attempts: int, exc: Exception) -> None:
        log.error("plugin %s gave up on %s after %d attempt(s): %s: %s", target, job.stored.key,
                  attempts, type(exc).__name__, exc)
        self.bot.stats.dead_letter(target)
        await call_all(self.bot.plugins, "delivery_failed", isolate=True, bot=self.bot,
                       event=job.event, plugin=target, error=exc)

    def _spawn_write(self, coroutine) -> None:
        """Ledger writes need not hold up dispatch; a crash before them only means a redelivery."""
        future = asyncio.ensure_future(coroutine)
        self._writes.add(future)
        future.add_done_callback(self._write_done)

    def _write_done(self, future: asyncio.Future) -> None:
        self._writes.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("ledger write failed: %s", future.exception())
