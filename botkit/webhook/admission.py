"""Refuse new work (503 + Retry-After) while the backlog or the disk is past its limit,
rather than accept events that might not be handled or stored."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from botkit.errors import StoreError
from botkit.store import Store

log = logging.getLogger("botkit.backpressure")


class Backpressure:
    """Samples the store's backlog and free disk space once a second."""

    def __init__(self, store: Store, *, max_backlog: int, min_free_bytes: int,
                 data_dir: Path | None, interval: float = 1.0, stats=None, clock=None) -> None:
        self.store = store
        self.stats = stats
        self.clock = clock
        self.max_backlog = max_backlog
        self.min_free_bytes = min_free_bytes
        self.data_dir = data_dir
        self.interval = interval
        self.backlog = 0
        self.reason: str | None = None
        self._task: asyncio.Task | None = None

    def accepted(self, count: int) -> None:
        """Count events accepted since the last sample, so a burst is seen at once."""
        self.backlog += count
        if self.backlog > self.max_backlog and self.reason is None:
            self.reason = f"backlog of {self.backlog} events is over {self.max_backlog}"

    async def sample(self) -> None:
        reason = None
        try:
            self.backlog = await self.store.pending_count()
            oldest = await self.store.oldest_pending()
        except StoreError as exc:
            log.warning("cannot read the backlog: %s", exc)
            oldest = None
        if self.stats is not None:
            self.stats.backlog.set(self.backlog)
            age = max(0.0, self.clock() - oldest) if oldest is not None and self.clock else 0.0
            self.stats.backlog_age.set(age)
        if self.backlog > self.max_backlog:
            reason = f"backlog of {self.backlog} events is over {self.max_backlog}"
        if self.data_dir is not None and self.min_free_bytes:
            free = shutil.disk_usage(self.data_dir).free
            if free < self.min_free_bytes:
                reason = f"only {free // 2**20} MiB free for the store"
        if reason != self.reason:
            if reason:
                log.warning("refusing new webhooks: %s", reason)
            else:
                log.info("accepting webhooks again")
        self.reason = reason

    async def run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="botkit-backpressure")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
