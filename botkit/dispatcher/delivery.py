"""Delivering one event: every target (the core's reply sender, each plugin) once, in order.

A target that fails is retried with exponential backoff and jitter (tenacity) up to
``dispatch.max_attempts``, then becomes a dead letter and ``delivery_failed`` is called. A target
that had started a send when the process stopped is reported "outcome unknown" instead of being
run again, so a reply is never sent twice. Each call of an ``async def`` hook implementation has
a time limit (``dispatch.plugin_timeout``, per plugin ``dispatch.plugin_timeouts``): a call past
it is cancelled and is a failed attempt like any other (:class:`PluginTimeout`). A plain
function cannot be interrupted, so its calls go without the timer.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_not_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from botkit.conversations.core_target import core_target
from botkit.conversations.handling import HandlingRunner
from botkit.conversations.handoff import HANDOFF_TARGET
from botkit.conversations.records import OutboxItem
from botkit.dispatcher.reply_target import REPLY_TARGET, ask_reply
from botkit.errors import PermanentError
from botkit.events import Contact, Event, Handoff, Message, Status, Timer, WebhookError
from botkit.hooks import call_all, call_plugin
from botkit.hookspecs import HOOK_FOR_KIND
from botkit.inbound_media.target import MEDIA_TARGET, media_target
from botkit.message_templates.target import TEMPLATES_TARGET, template_target
from botkit.store.records import Delivery, StoredEvent

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.worker")

#: One delivery target: called with the event (its ``attempt`` set for this try).
TargetCall = Callable[[Event], Awaitable[None]]
#: Events only plugins handle: no media to keep, no reply to choose, no handoff, no template.
PLUGINS_ONLY = (Status, Contact, WebhookError)


class PluginTimeout(Exception):
    """A plugin call did not finish within its time limit and was cancelled."""


async def within(limit: float, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """``await call()``, cancelled after ``limit`` seconds with :class:`PluginTimeout`."""
    deadline = asyncio.timeout(limit)
    try:
        async with deadline:
            return await call()
    except TimeoutError:
        if not deadline.expired():
            raise  # the plugin's own timeout: an ordinary failure
        raise PluginTimeout(f"{what} did not finish within {limit:g} s; cancelled") from None


@dataclass(slots=True)
class Job:
    """A claimed event and its decoded form, on its way through the plugins."""

    stored: StoredEvent
    event: Event
    #: Per target, the outbox this process committed for the event (retries skip the handler).
    committed: dict[str, list[OutboxItem]] = field(default_factory=dict)
    #: The target being run right now (for the log when dispatch stops).
    running: str | None = None
    #: The webhook request's span that stored this event (when tracing is on).
    trace: str | None = None
    #: The targets still to run, worked out once (see :meth:`Deliverer.pending`).
    targets: list[tuple[str, TargetCall]] | None = None


class Deliverer:
    """Runs the targets of one event; ``spawn_write`` queues ledger writes off the hot path."""

    def __init__(self, bot: Bot, *, sleep: Callable[[float], Awaitable[Any]],
                 spawn_write: Callable[[Awaitable[None]], None]) -> None:
        self.bot = bot
        self.settings = bot.settings.dispatch
        self._sleep = sleep
        self._spawn_write = spawn_write
        self._handling = HandlingRunner(bot)

    async def deliver_all(self, job: Job) -> list[Delivery]:
        """Every target this event still needs, in order; their outcomes."""
        try:
            return [await self._deliver(job, target, call) for target, call in self.pending(job)]
        finally:
            # The targets' closures refer back to the job: without this the job, its payload
            # and its event would wait for the cycle collector instead of going at once.
            job.targets = None

    def pending(self, job: Job) -> list[tuple[str, TargetCall]]:
        """The targets this event still needs, in order (none: nothing to run; the dispatcher
        then settles it without queueing it). Which targets an event has depends only on the
        event, the settings and the enabled plugins, so it is worked out once per job."""
        if job.targets is None:
            settled = job.stored.settled_plugins
            job.targets = [(target, call) for target, call in self._targets(job)
                           if target not in settled]
        return job.targets

    def _targets(self, job: Job) -> list[tuple[str, TargetCall]]:
        """(ledger name, coroutine function) for each delivery this event needs, in order."""
        plugins, event = self.bot.plugins, job.event
        targets: list[tuple[str, TargetCall]] = []
        among = plugins.names_for(event.phone_number_id, event.waba_id)
        if not isinstance(event, PLUGINS_ONLY):  # the core has work for the others only
            self._core_targets(job, targets, among)
        hook, arg = HOOK_FOR_KIND[job.stored.kind]
        if isinstance(event, Handoff) and event.action == "ended":
            hook = "handoff_ended"
        change = event.identity_change if isinstance(event, Message) else None
        for name in among:  # a plugin not enabled for the event's number never sees it
            if isinstance(event, Timer) and event.plugin != name:
                continue  # a timer fires for the plugin that scheduled it only
            calls = []
            if plugins.impls(hook, name):
                calls.append((hook, arg))
            if change is not None and plugins.impls("contact_updated", name):
                calls.append(("contact_updated", "contact"))
            if calls:
                targets.append((name, self._plugin_call(job, name, calls, change)))
        return targets

    def _core_targets(self, job: Job, targets: list[tuple[str, TargetCall]],
                      among: tuple[str, ...]) -> None:
        """The core's own targets for messages, timers and other fields, before the plugins."""
        event = job.event
        media = media_target(self.bot, job.stored, event)  # first: handlers find the file
        if media is not None:
            targets.append((MEDIA_TARGET, media))
        core = core_target(self.bot, job.stored, event)
        if core is not None:
            targets.append((HANDOFF_TARGET, core))
        templates = template_target(self.bot, job.stored, event)
        if templates is not None:
            targets.append((TEMPLATES_TARGET, templates))
        if isinstance(event, Message) and self.bot.plugins.implementing("reply_for_message",
                                                                        among):
            targets.append((REPLY_TARGET, self._reply_call(job, among)))

    def _reply_call(self, job: Job, among: tuple[str, ...]) -> TargetCall:
        """The core's reply sender: the reply is chosen once and kept with the delivery."""
        asked = self.bot.plugins.implementing("reply_for_message", among)
        limit = max(self.settings.timeout_for(name) for name in asked)

        async def ask(event: Event) -> None:
            assert isinstance(event, Message)
            await within(limit, f"reply_for_message ({', '.join(asked)})",
                         lambda: ask_reply(self.bot, event, among))

        async def call(event: Event) -> None:
            await self._handling.run(job.stored, event, REPLY_TARGET, ask, job.committed)
        return call

    def _plugin_call(self, job: Job, name: str, calls: list[tuple[str, str]], change: Any
                     ) -> TargetCall:
        limit = self.settings.timeout_for(name)
        plugins = self.bot.plugins

        async def invoke(event: Event) -> None:
            for hook, arg in calls:
                value = event if hook != "contact_updated" or change is None else (
                    replace(change, attempt=event.attempt))
                what = f"{hook} of plugin {name}"
                if plugins.plain(hook, name):  # it runs to its end at once: no timer for it,
                    await call_plugin(  # but an awaitable it hands back keeps the time limit
                        plugins, hook, name, bot=self.bot, **{arg: value},
                        await_with=lambda pending, what=what: within(limit, what,
                                                                     lambda: pending))
                    continue
                await within(limit, what, functools.partial(call_plugin, plugins, hook, name,
                                                            bot=self.bot, **{arg: value}))

        async def call(event: Event) -> None:
            await self._handling.run(job.stored, event, name, invoke, job.committed)
        return call

    async def _deliver(self, job: Job, target: str, call: TargetCall) -> Delivery:
        """Run one target once, the common case, without any retry machinery."""
        job.running = target
        if target in job.stored.in_doubt:
            error = PermanentError("outcome unknown: the process stopped while this was being "
                                   "sent; not sent again to avoid a duplicate")
            self._note_failure(job, target, 1, error)
            await self._dead_letter(job, target, 1, error)
            return Delivery(target, "dead", 1, str(error))
        started = time.perf_counter()
        try:
            with self.bot.tracing.span("plugin.attempt", {"botkit.plugin": target,
                                                          "botkit.attempt": 1}):
                await call(job.event)
        except Exception as exc:
            self._note_failure(job, target, 1, exc)
            if isinstance(exc, PermanentError) or self.settings.max_attempts == 1:
                await self._dead_letter(job, target, 1, exc)
                return Delivery(target, "dead", 1, f"{type(exc).__name__}: {exc}")
            return await self._retry(job, target, call)
        self.bot.stats.delivered(target, time.perf_counter() - started)
        return Delivery(target, "done", 1)

    async def _retry(self, job: Job, target: str, call: TargetCall) -> Delivery:
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
                        with self.bot.tracing.span("plugin.attempt", {
                                "botkit.plugin": target, "botkit.attempt": attempts}):
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
        if isinstance(exc, PluginTimeout):
            log.warning("plugin %s timed out on %s (attempt %d): %s", target, job.stored.key,
                        attempts, exc)
            self.bot.stats.timed_out(target)
        else:
            log.warning("plugin %s failed on %s (attempt %d%s): %s: %s", target,
                        job.stored.key, attempts, ", permanent" if permanent else "",
                        type(exc).__name__, exc)
        self.bot.stats.failed(target)
        if attempts == 1 and not permanent:
            self._spawn_write(self.bot.store.record_delivery(
                job.stored, Delivery(target, "retrying", attempts, f"{type(exc).__name__}: {exc}")))

    async def _dead_letter(self, job: Job, target: str, attempts: int, exc: Exception) -> None:
        log.error("plugin %s gave up on %s after %d attempt(s): %s: %s", target, job.stored.key,
                  attempts, type(exc).__name__, exc)
        self.bot.stats.dead_letter(target)
        try:
            await within(self.settings.plugin_timeout, "delivery_failed",
                         lambda: call_all(self.bot.plugins, "delivery_failed", isolate=True,
                                          among=self.bot.plugins.names_for(
                                              job.event.phone_number_id, job.event.waba_id),
                                          bot=self.bot, event=job.event, plugin=target,
                                          error=exc))
        except PluginTimeout as late:
            log.error("%s (after %s gave up on %s)", late, target, job.stored.key)

