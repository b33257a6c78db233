"""Partition leases of the Redis store: which partitions this instance may read."""

from __future__ import annotations

import asyncio
import logging
import math
import time
import zlib
from typing import Any, Protocol

from botkit.store._redis_layout import Keys, RedisOptions

log = logging.getLogger("botkit.store.redis")

# A partition being handed to another instance waits for its running events this long at most
# (plugins retrying with backoff take up to [dispatch] max_retry_seconds, 300 by default).
DRAIN_LIMIT_SECONDS = 300


class LeasingStore(Protocol):
    """What the leases use of their :class:`~botkit.store.redis.RedisStore` (a protocol, so
    that this module need not import the store that imports it)."""

    options: RedisOptions
    keys: Keys
    instance: str
    inflight: dict[int, set[str]]
    reading: asyncio.Lock

    async def script(self, name: str, keys: list[str], args: list[Any], *,
                     wait_replicas: int = 0) -> Any: ...


class PartitionLeases:
    """Which partitions this instance may read.

    Each round it announces itself as alive, renews its leases, and moves towards its fair
    share, ceil(P / live instances): it takes free partitions when under it and, when over it,
    stops reading some and gives each back once its events in flight are finished (so the next
    holder never runs an event this one is still running). A lease that could not be renewed
    in time is not read any more.
    """

    def __init__(self, store: LeasingStore) -> None:
        self.store = store
        self.held: dict[int, float] = {}  # partition -> monotonic time the lease is good until
        self.draining: dict[int, float] = {}  # partition -> monotonic time it began draining
        opts = store.options
        self.interval = opts.lease_ms / 3000
        # Reading stops a little before the lease could expire on Redis's side.
        self.validity = opts.lease_ms * 0.8 / 1000
        start = zlib.crc32(store.instance.encode()) % opts.partitions
        self.preference = [(start + i) % opts.partitions for i in range(opts.partitions)]

    def readable(self) -> list[int]:
        now = time.monotonic()
        return sorted(p for p, until in self.held.items()
                      if until > now and p not in self.draining)

    async def refresh(self) -> tuple[list[int], list[int]]:
        """One round; returns (partitions gained, partitions lost)."""
        store, opts, keys = self.store, self.store.options, self.store.keys
        started = time.monotonic()
        alive = await store.script("heartbeat", [keys.instances], [store.instance, opts.lease_ms])
        lost: list[int] = []
        if self.held:
            mine = sorted(self.held)
            kept = await store.script("renew", [keys.lease(p) for p in mine],
                                      [store.instance, opts.lease_ms])
            kept_set = {mine[i - 1] for i in kept}
            lost = [p for p in mine if p not in kept_set]
            for p in lost:
                self.held.pop(p, None)
                self.draining.pop(p, None)
            for p in kept_set:
                self.held[p] = started + self.validity
        share = math.ceil(opts.partitions / max(1, int(alive)))
        active = len(self.held) - len(self.draining)
        gained: list[int] = []
        if active < share and self.draining:
            for p in sorted(self.draining)[:share - active]:
                del self.draining[p]
            active = len(self.held) - len(self.draining)
        free = [p for p in self.preference if p not in self.held]
        if active < share and free:
            taken = await store.script("acquire", [keys.lease(p) for p in free],
                                       [store.instance, opts.lease_ms, share - active])
            gained = [free[i - 1] for i in taken]
            for p in gained:
                self.held[p] = started + self.validity
        elif active > share:
            by_load = sorted((p for p in self.held if p not in self.draining),
                             key=lambda p: (len(store.inflight.get(p, ())), -p))
            self.draining.update(dict.fromkeys(by_load[:active - share], started))
        await self._release_drained()
        return gained, lost

    async def _release_drained(self) -> None:
        now = time.monotonic()
        async with self.store.reading:
            done = [p for p, since in self.draining.items()
                    if not self.store.inflight.get(p) or now - since > DRAIN_LIMIT_SECONDS]
            for p in done:
                if self.store.inflight.get(p):
                    log.warning("giving partition %d back with %d event(s) still running here "
                                "after %d s; its next reader may run them again", p,
                                len(self.store.inflight[p]), DRAIN_LIMIT_SECONDS)
            if done:
                await self.release(done)

    async def release(self, partitions: list[int]) -> None:
        """Give leases back so that another instance can take them at once."""
        keys = self.store.keys
        await self.store.script("release", [keys.lease(p) for p in partitions],
                                [self.store.instance])
        for p in partitions:
            self.held.pop(p, None)
            self.draining.pop(p, None)
