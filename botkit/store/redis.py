"""The shared store: Redis Streams, so that several serve and worker processes act as one.

See ``_redis_layout`` for the keys, ``_redis_leases`` for how partitions are shared out and
``_redis_consumer`` for how the partitions this instance holds are read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff
from redis.exceptions import RedisError, ResponseError

from botkit.errors import StoreError
from botkit.store import _redis_scripts as redis_scripts
from botkit.store._redis_checks import check_partitions, check_version, warn_if_not_durable
from botkit.store._redis_consumer import (
    BLOCK_LIMIT_SECONDS,
    RESCAN_EVERY_ROUNDS,
    PartitionConsumer,
)
from botkit.store._redis_layout import (
    GROUP,
    Keys,
    RedisOptions,
    describe,
    ledger_row,
    new_instance_id,
    parse_redis_url,
    partition_of,
    redis_failures,
    split_token,
    stream_entries,
)
from botkit.store._redis_leases import PartitionLeases
from botkit.store._redis_retention import trim_by_age
from botkit.store._redis_script_calls import register_scripts, run_pipelined
from botkit.store.base import Store
from botkit.store.records import AppendResult, Delivery, EventRecord, Reject, StoredEvent

__all__ = [
    "APPEND_SCRIPT",
    "BLOCK_LIMIT_SECONDS",
    "RESCAN_EVERY_ROUNDS",
    "RedisOptions",
    "RedisStore",
    "parse_redis_url",
    "partition_of",
]

log = logging.getLogger("botkit.store.redis")

#: The append script's source, for modules whose own scripts append events as part of a larger
#: atomic step (the conversation store's commit and timer firing).
APPEND_SCRIPT = redis_scripts.APPEND


class RedisStore(Store):
    """Several instances share one Redis; ``_redis_layout`` describes what is kept where."""

    shared = True

    def __init__(self, url: str, *, dedupe_seconds: float = 8 * 86400,
                 quarantine_seconds: float = 30 * 86400, dead_letter_seconds: float = 30 * 86400,
                 clock: Callable[[], float] = time.time) -> None:
        self.options = parse_redis_url(url)
        self.keys = Keys(self.options.prefix)
        self.dedupe_seconds = max(1, int(dedupe_seconds))
        self.retention = {"quarantine_seconds": quarantine_seconds,
                          "dead_letter_seconds": dead_letter_seconds}
        self.clock = clock
        self.instance = new_instance_id()
        self.inflight: dict[int, set[str]] = {}  # partition -> entry ids handed out, not settled
        self.reading = asyncio.Lock()  # claims and lease hand-backs never overlap
        self.leases = PartitionLeases(self)
        self.consumer = PartitionConsumer(self)
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, Any] = {}
        self._lease_task: asyncio.Task | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        opts = self.options
        try:
            client = aioredis.Redis.from_url(
                opts.client_url, socket_connect_timeout=2.0, socket_timeout=5.0,
                retry=Retry(EqualJitterBackoff(cap=0.5, base=0.05), 3),
            )
        except ValueError as exc:
            raise StoreError(f"bad redis store URL {opts.shown!r}: {exc}") from None
        self._client = client
        self._scripts = register_scripts(client)
        try:
            with self._failures("connect to"):
                await check_version(client, opts)
                await check_partitions(client, opts, self.keys)
                await self._create_groups()
                await warn_if_not_durable(client, opts)
        except StoreError:
            await client.aclose()
            self._client = None
            raise

    async def _create_groups(self) -> None:
        pipe = self.client.pipeline(transaction=False)
        for p in range(self.options.partitions):
            pipe.xgroup_create(self.keys.events(p), GROUP, id="0", mkstream=True)
        for result in await pipe.execute(raise_on_error=False):
            if isinstance(result, Exception) and "BUSYGROUP" not in str(result):
                raise result

    async def close(self) -> None:
        consumed = self._lease_task is not None
        if consumed:
            self._lease_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lease_task
            self._lease_task = None
        if self._client is None:
            return
        try:
            async with self.reading:
                if self.leases.held:
                    await self.leases.release(sorted(self.leases.held))
                if consumed:
                    await self.client.zrem(self.keys.instances, self.instance)
        except (StoreError, RedisError, OSError) as exc:
            log.warning("could not give back partition leases (they expire on their own): %s",
                        describe(exc))
        await self._client.aclose()
        self._client = None

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            raise StoreError("the store is not open")
        return self._client

    def _failures(self, action: str) -> contextlib.AbstractContextManager[None]:
        return redis_failures(action, self.options.shown)

    async def script(self, name: str, keys: list[str], args: list[Any], *,
                     wait_replicas: int = 0) -> Any:
        """Run one of the Lua scripts (see ``_redis_scripts``) as one atomic step."""
        [result] = await self._pipelined(name, [(keys, args)], wait_replicas=wait_replicas)
        return result

    # -- the webhook side ------------------------------------------------------------------

    def append_call(self, records: Sequence[EventRecord],
                    now: float) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV of :data:`APPEND_SCRIPT` for ``records``, exactly as :meth:`append`
        runs it."""
        return self.keys.append_call(self.options.partitions, self.dedupe_seconds, now,
                                     list(records))

    async def append(self, records: list[EventRecord], rejects: list[Reject] = (), *,
                     hand_out: bool = False) -> AppendResult:
        if not records and not rejects:
            return AppendResult(0, 0)
        keys, args = self.keys.append_call(self.options.partitions, self.dedupe_seconds,
                                           self.clock(), records, rejects)
        accepted = await self.script("append", keys, args,
                                     wait_replicas=self.options.wait_replicas)
        return AppendResult(accepted=int(accepted), duplicates=len(records) - int(accepted))

    async def quarantine(self, reason: str, body: bytes) -> None:
        await self.append([], [Reject(reason, body)])

    # -- the dispatch side -----------------------------------------------------------------

    async def claim(self, limit: int) -> list[StoredEvent]:
        if self._lease_task is None:  # the first claim makes this instance a consumer
            self._lease_task = asyncio.create_task(self.consumer.keep_leases(),
                                                   name="botkit-redis-leases")
        await self.consumer.ready.wait()
        async with self.reading:
            with self._failures("read events from"):
                try:
                    events = await self.consumer.with_ledger(await self.consumer.read(limit))
                except ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    # A stream was deleted under us (FLUSHDB, a cleanup): make it again.
                    log.warning("a partition stream or its consumer group was missing; "
                                "created again")
                    await self._create_groups()
                    return []
            for event in events:
                p, entry = split_token(event.token)
                self.inflight.setdefault(p, set()).add(entry)
        return events

    async def wait_for_events(self, timeout: float) -> bool:
        """Block (XREAD) until an event is added to a partition this instance reads, whichever
        process added it, or until ``timeout`` (at most 4 s: reads time out at 5 s)."""
        return await self.consumer.wait_for_events(timeout)

    def rewind(self) -> None:
        """Look again for entries left pending on our partitions (a failed settle, a replay)."""
        self.consumer.rewind()

    async def settle(self, event: StoredEvent, state: str, deliveries: list[Delivery]) -> None:
        await self.settle_many([(event, state, deliveries)])

    async def settle_many(self, items: list[tuple[StoredEvent, str, list[Delivery]]]) -> None:
        """Finish events in one round trip: a settle script per event, pipelined."""
        calls, finished = [], []
        history, now = self.options.history, repr(self.clock())
        for event, state, deliveries in items:
            p, entry = split_token(event.token)
            finished.append((p, entry))
            kept = history or any(d.state == "dead" for d in deliveries)
            args: list[Any] = [GROUP, entry, self.dedupe_seconds, now, event.key, event.kind,
                               event.payload if kept else "", event.conversation,
                               repr(event.received_at or 0), state, event.attempt, history]
            for d in deliveries:
                args += [d.plugin, ledger_row(d), d.state, d.attempts, d.error or ""]
            calls.append(([self.keys.events(p), self.keys.ledger(event.key), self.keys.dead,
                           self.keys.history], args))
        try:
            await self._pipelined("settle", calls)
        finally:
            # Settled or not, these are no longer running here; a failed one stays pending in
            # Redis and is handed out again by the next scan of pending entries.
            for p, entry in finished:
                self.inflight.get(p, set()).discard(entry)

    async def _pipelined(self, name: str, calls: list[tuple[list[str], list[Any]]], *,
                         wait_replicas: int = 0) -> list[Any]:
        return await run_pipelined(self, name, self._scripts[name], calls,
                                   wait_replicas=wait_replicas)

    async def record_delivery(self, event: StoredEvent, delivery: Delivery) -> None:
        await self.script("record", [self.keys.ledger(event.key)],
                          [self.dedupe_seconds, delivery.plugin, ledger_row(delivery)])

    async def quarantine_event(self, event: StoredEvent, reason: str) -> None:
        p, entry = split_token(event.token)
        try:
            await self.script("quarantine_event", [self.keys.events(p), self.keys.quarantine],
                              [GROUP, entry, reason, event.kind, event.key, event.payload,
                               repr(self.clock()), event.conversation])
        finally:
            self.inflight.get(p, set()).discard(entry)

    # -- health ----------------------------------------------------------------------------

    async def ping(self) -> None:
        with self._failures("ping"):
            await self.client.ping()

    async def pending_count(self) -> int:
        """Entries in the partition streams: settled ones are deleted, so these all wait."""
        return sum(await self._each_partition("count events on", "XLEN"))

    async def oldest_pending(self) -> float | None:
        """When the oldest waiting event was received: the first entry of a partition is its
        oldest."""
        firsts = await self._each_partition("look at events on", "XRANGE", "-", "+", "COUNT", 1)
        times = [float(fields.get(b"received_at", 0))
                 for first in firsts for _, fields in stream_entries(first)]
        return min(times) if times else None

    async def _each_partition(self, action: str, command: str, *args: Any) -> list[Any]:
        """One read-only command on every partition stream, in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for p in range(self.options.partitions):
            pipe.execute_command(command, self.keys.events(p), *args)
        with self._failures(action):
            replies = await pipe.execute(raise_on_error=False)
            for reply in replies:
                if isinstance(reply, Exception):
                    raise reply
        return replies

    async def purge(self, now: float, *, pause: float = 0.0) -> dict[str, int]:
        """Dedupe markers and ledgers expire on their own; dead letters and quarantined items
        are trimmed by age (see ``_redis_retention``)."""
        with self._failures("purge"):
            return await trim_by_age(self.client, self.keys, now, **self.retention)
