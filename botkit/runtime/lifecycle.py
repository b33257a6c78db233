"""One start-up and shut-down order for every process that runs plugins.

Dispatching processes also fire conversation timers and purge what is past its retention.

``botkit serve`` and ``botkit worker`` both open the store, create the Cloud API client, run
the ``startup`` hooks and start dispatch in this order, and undo it in reverse: dispatch stops
first (running plugins finish, up to a grace period), then ``shutdown`` hooks run, then the
client and the store close. A failure half-way closes what was already opened. Every hook call
here has the plugin's time limit (``[dispatch] plugin_timeout``): a hung ``startup`` hook stops
the start with an error naming it, a hung ``shutdown`` hook is logged and left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from botkit.bot import Bot
from botkit.conversations.timers import TimerLoop
from botkit.dispatcher.dispatcher import Dispatcher
from botkit.errors import PluginError
from botkit.hooks import call_plugin
from botkit.store.retention import RetentionLoop

log = logging.getLogger("botkit")
#: How long running plugins may take to finish once a stop is asked for.
GRACE_SECONDS = 10.0


class Lifecycle:
    """Opens and closes what a running bot holds; ``dispatcher`` is set while it runs."""

    def __init__(self, bot: Bot, *, dispatch: bool = True,
                 before_dispatch: Callable[[], Awaitable[None]] | None = None,
                 grace: float = GRACE_SECONDS) -> None:
        self.bot = bot
        self.dispatch = dispatch
        self.before_dispatch = before_dispatch
        self.grace = grace
        self.dispatcher: Dispatcher | None = None
        self.timers: TimerLoop | None = None
        self.retention: RetentionLoop | None = None

    async def start(self) -> None:
        """Open the store and client, run ``startup`` hooks, then start dispatching."""
        bot = self.bot
        await bot.store.open()
        try:
            await bot.conversations.open()
            bot.open_whatsapp()
            if bot.settings.flows is not None:
                from botkit.flows.app import attach_flow_tokens

                attach_flow_tokens(bot)
            await self._call_each("startup", isolate=False)
            if self.before_dispatch is not None:
                await self.before_dispatch()
        except BaseException:
            await bot.close_whatsapp()
            await bot.store.close()
            raise
        if self.dispatch:
            self.dispatcher = Dispatcher(bot)
            bot.wake_callback = self.dispatcher.wake
            await self.dispatcher.start()
            self.timers = TimerLoop(bot)
            self.timers.start()
            self.retention = RetentionLoop(
                bot.store, interval=bot.settings.store.purge_interval_seconds, clock=bot.clock,
                stats=bot.stats)
            self.retention.start()

    async def stop(self) -> None:
        """Stop dispatch (letting running plugins finish), run ``shutdown``, close everything."""
        bot = self.bot
        if self.retention is not None:
            await self.retention.stop()
            self.retention = None
        if self.timers is not None:
            await self.timers.stop()
            self.timers = None
        if self.dispatcher is not None:
            await self.dispatcher.stop(self.grace)
            self.dispatcher = None
        await self._call_each("shutdown", isolate=True)
        await bot.close_whatsapp()
        await bot.store.close()

    async def _call_each(self, hook: str, *, isolate: bool) -> None:
        """Each plugin's ``hook`` in order, each within the plugin's time limit. With
        ``isolate`` a failing or hung plugin is logged and the others still run; without it
        the first failure stops the caller."""
        bot = self.bot
        for name in bot.plugins.implementing(hook):
            limit = bot.settings.dispatch.timeout_for(name)
            deadline = asyncio.timeout(limit)
            try:
                async with deadline:
                    await call_plugin(bot.plugins, hook, name, bot=bot)
            except TimeoutError as exc:
                if not deadline.expired():  # the plugin's own timeout, not ours
                    if not isolate:
                        raise
                    log.error("plugin %s failed in %s: %s: %s", name, hook,
                              type(exc).__name__, exc)
                    continue
                if not isolate:
                    raise PluginError(f"plugin {name} did not finish its {hook} hook within "
                                      f"{limit:g} s") from None
                log.error("plugin %s did not finish its %s hook within %g s; going on without "
                          "it", name, hook, limit)
            except Exception as exc:
                if not isolate:
                    raise
                log.error("plugin %s failed in %s: %s: %s", name, hook, type(exc).__name__, exc)
