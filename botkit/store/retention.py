"""The loop that keeps a store bounded: it purges what is past its retention at start-up and
then every ``[store] purge_interval_seconds``, in the processes that dispatch.

The store does the work in small steps (see :meth:`botkit.store.Store.purge`), so a pass never
holds up the webhook's commits for long; a pass that fails is logged and tried again at the
next interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from botkit.errors import StoreError
from botkit.store.base import Store

log = logging.getLogger("botkit.store")
#: Seconds between two purge steps, so that appends queued meanwhile go first.
STEP_PAUSE = 0.005


class RetentionLoop:
    """Runs :meth:`Store.purge` now and then; ``stats`` (optional) counts what went."""

    def __init__(self, store: Store, *, interval: float, clock: Callable[[], float],
                 stats: Any = None, pause: float = STEP_PAUSE) -> None:
        self.store = store
        self.interval = interval
        self.clock = clock
        self.stats = stats
        self.pause = pause
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="botkit-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def run_once(self) -> dict[str, int]:
        """One pass; returns how many of each kind went (and ``pages_freed`` on SQLite)."""
        purged = await self.store.purge(self.clock(), pause=self.pause)
        if purged:
            log.info("purged what is past its retention: %s",
                     ", ".join(f"{count} {kind.replace('_', ' ')}"
                               for kind, count in sorted(purged.items())))
            if self.stats is not None:
                for kind, count in purged.items():
                    self.stats.purged.labels(kind).inc(count)
        return purged

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except StoreError as exc:
                log.error("cannot purge the store: %s", exc)
            except Exception:  # a bug must not stop purging for good, nor the process
                log.exception("purging the store failed")
            await asyncio.sleep(self.interval)
