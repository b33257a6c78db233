"""A dispatch-only process: plugins run on events that ``botkit serve`` instances stored.

With a ``redis://`` store, any number of these share the work with the servers: each takes
partition leases like a server's own dispatcher does. Nothing here listens on a port.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Mapping
from typing import Any

from botkit.bot import Bot
from botkit.dispatcher.dispatcher import Dispatcher
from botkit.hooks import call_all
from botkit.plugins import load_plugins
from botkit.settings import Settings
from botkit.store import open_store

log = logging.getLogger("botkit.worker")


async def work(settings: Settings, stop: asyncio.Event, *,
               plugins: Mapping[str, Any] | None = None,
               clock: Callable[[], float] = time.time) -> None:
    """Dispatch until ``stop`` is set, then shut down in order: dispatch stops (running
    plugins finish), ``shutdown`` hooks run, the store closes (giving back its leases).

    ``plugins`` adds plugin objects by name, as in :func:`botkit.create_app`.
    """
    plugin_set = load_plugins(settings, plugins)
    store = open_store(settings.store, clock=clock)
    bot = Bot(settings, plugin_set, store, clock=clock)
    await store.open()
    try:
        bot.open_whatsapp()
        await call_all(plugin_set, "startup", isolate=False, bot=bot)
    except BaseException:
        await bot.close_whatsapp()
        await store.close()
        raise
    dispatcher = Dispatcher(bot)
    await dispatcher.start()
    log.info("botkit worker ready: plugins: %s", ", ".join(plugin_set.names) or "none")
    try:
        await stop.wait()
    finally:
        log.info("botkit worker stopping")
        await dispatcher.stop()
        await call_all(plugin_set, "shutdown", isolate=True, bot=bot)
        await bot.close_whatsapp()
        await store.close()
        log.info("botkit worker stopped")


def run_worker(settings: Settings, *, plugins: Mapping[str, Any] | None = None) -> None:
    """Run :func:`work` until SIGTERM or SIGINT, then stop gracefully."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await work(settings, stop, plugins=plugins)

    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
