"""The one way a botkit process turns Ctrl-C or SIGTERM into a clean stop.

Both ``botkit serve`` (on either server) and ``botkit worker`` run their main coroutine through
:func:`run_until_signalled`: the first SIGINT or SIGTERM sets the stop event, the process then
stops dispatch, runs the ``shutdown`` hooks and closes the store, and exits with status 0.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_on_signals(loop: asyncio.AbstractEventLoop) -> asyncio.Event:
    """An event set by the first SIGINT or SIGTERM delivered to this process."""
    stop = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    return stop


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``main(stop)`` on uvloop (asyncio where uvloop is missing) until it returns."""

    async def runner() -> None:
        await main(stop_on_signals(asyncio.get_running_loop()))

    try:
        import uvloop
    except ImportError:
        asyncio.run(runner())
    else:
        uvloop.run(runner())
