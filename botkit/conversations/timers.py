"""The loop that fires due timers and keeps the bot's view of human-held conversations fresh.

Firing moves a due timer into the event log as a ``timer`` event, in one step per timer, keyed
by the timer's id: several processes may run this loop on one store and each timer still becomes
one event, which the dispatcher then delivers once to the plugin that scheduled it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from botkit.errors import StoreError

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.timers")


class TimerLoop:
    """Runs until cancelled; sleeps until the next timer is due, the poll interval at most."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.poll = bot.settings.conversations.timer_poll_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="botkit-timers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def tick(self) -> float:
        """Fire what is due and refresh the handoffs; returns how long to sleep."""
        bot = self.bot
        now = bot.clock()
        while await bot.conversations.fire_due_timers(now):
            bot.wake_dispatch()
        bot.humans = frozenset(info.key for info in await bot.conversations.handoffs(now))
        due = await bot.conversations.next_timer_due()
        return self.poll if due is None else min(self.poll, max(0.01, due - now))

    async def _run(self) -> None:
        while True:
            try:
                delay = await self.tick()
            except StoreError as exc:
                log.error("cannot fire timers: %s", exc)
                delay = self.poll
            except Exception:  # a bug must not stop timers for good
                log.exception("firing timers failed")
                delay = self.poll
            await asyncio.sleep(delay)
