"""A dispatch-only process: plugins run on events that ``botkit serve`` instances stored.

With a ``redis://`` store, any number of these share the work with the servers: each takes
partition leases like a server's own dispatcher does. Nothing here listens on a port.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from botkit.bot import Bot
from botkit.plugins import load_plugins
from botkit.runtime.lifecycle import Lifecycle
from botkit.runtime.signals import run_until_signalled
from botkit.settings import Settings
from botkit.store import open_store

log = logging.getLogger("botkit.worker")


async def work(settings: Settings, stop: asyncio.Event, *,
               plugins: Mapping[str, Any] | None = None,
               clock: Callable[[], float] = time.time) -> None:
    """Dispatch until ``stop`` is set, then shut down in the :class:`Lifecycle` order.

    ``plugins`` adds plugin objects by name, as in :func:`botkit.create_app`.
    """
    plugin_set = load_plugins(settings, plugins)
    bot = Bot(settings, plugin_set, open_store(settings.store, clock=clock), clock=clock)
    lifecycle = Lifecycle(bot)
    await lifecycle.start()
    log.info("botkit worker ready: plugins: %s", ", ".join(plugin_set.names) or "none")
    try:
        await stop.wait()
    finally:
        log.info("botkit worker stopping")
        await lifecycle.stop()
        log.info("botkit worker stopped")


def run_worker(settings: Settings, *, plugins: Mapping[str, Any] | None = None) -> None:
    """Run :func:`work` until SIGTERM or SIGINT, then stop gracefully."""
    run_until_signalled(lambda stop: work(settings, stop, plugins=plugins))
