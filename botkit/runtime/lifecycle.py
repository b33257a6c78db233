"""One start-up and shut-down order for every process that runs plugins.

Dispatching processes also fire conversation timers.

``botkit serve`` (through the app's lifespan) and ``botkit worker`` both open the store, create
the Cloud API client, run the ``startup`` hooks and start dispatch in this order, and undo it in
reverse: dispatch stops first (running plugins finish), then ``shutdown`` hooks run, then the
client and the store close. A failure half-way closes what was already opened.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botkit.bot import Bot
from botkit.conversations.timers import TimerLoop
from botkit.dispatcher.dispatcher import Dispatcher
from botkit.hooks import call_all

log = logging.getLogger("botkit")


class Lifecycle:
    """Opens and closes what a running bot holds; ``dispatcher`` is set while it runs."""

    def __init__(self, bot: Bot, *, dispatch: bool = True,
                 before_dispatch: Callable[[], Awaitable[None]] | None = None) -> None:
        self.bot = bot
        self.dispatch = dispatch
        self.before_dispatch = before_dispatch
        self.dispatcher: Dispatcher | None = None
        self.timers: TimerLoop | None = None

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
            await call_all(bot.plugins, "startup", isolate=False, bot=bot)
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

    async def stop(self) -> None:
        """Stop dispatch (letting running plugins finish), run ``shutdown``, close everything."""
        bot = self.bot
        if self.timers is not None:
            await self.timers.stop()
            self.timers = None
        if self.dispatcher is not None:
            await self.dispatcher.stop()
            self.dispatcher = None
        await call_all(bot.plugins, "shutdown", isolate=True, bot=bot)
        await bot.close_whatsapp()
        await bot.store.close()
