"""The shared store: Redis Streams, so that several serve and worker processes act as one.

See ``_redis_layout`` for the keys and ``_redis_leases`` for how partitions are shared out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff
from redis.exceptions import NoScriptError, RedisError, ResponseError

from botkit.errors import StoreError
from botkit.store import _redis_scripts as lua
from botkit.store._redis_layout import (
    GROUP,
    SETTLED_STATES,
    Keys,
    RedisOptions,
    describe,
    entry_seq,
    ledger_row,
    ledger_state,
    loose_json,
    new_instance_id,
    parse_redis_url,
    partition_of,
    redis_failures,
    split_token,
    stream_entries,
    text,
)
from botkit.store._redis_leases import PartitionLeases
from botkit.store.base import Store
from botkit.store.records import AppendResult, Delivery, EventRecord, Reject, StoredEvent

__all__ = ["RedisOptions", "RedisStore", "parse_redis_url", "partition_of"]

log = logging.getLogger("botkit.store.redis")

# Every this many lease rounds, pending entries of our partitions are looked at again.
RESCAN_EVERY_ROUNDS = 10
# The longest blocking read; the client's socket timeout (5 s) must stay above it.
BLOCK_LIMIT_SECONDS = 4.0


class RedisStore(Store):
    """Several instances share one Redis; ``_redis_layout`` describes what is kept where."""

    shared = True

    def __init__(self, url: str, *, dedupe_seconds: float = 8 * 86400,
                 clock: Callable[[], float] = time.time) -> None:
        self.options = parse_redis_url(url)
        self.keys = Keys(self.options.prefix)
        self.dedupe_seconds = max(1, int(dedupe_seconds))
        self.clock = clock
        self.instance = new_instance_id()
        self.inflight: dict[int, set[str]] = {}  # partition -> entry ids handed out, not settled
        self.reading = asyncio.Lock()  # claims and lease hand-backs never overlap
        self.leases = PartitionLeases(self)
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, Any] = {}
        self._recover: dict[int, str] = {}  # partition -> where its pending scan continues
        self._lease_task: asyncio.Task | None = None
        self._leases_ready = asyncio.Event()
        self._lease_failures = 0
        self._turn = 0

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
        self._scripts = {name: client.register_script(source) for name, source in (
            ("append", lua.APPEND), ("settle", lua.SETTLE), ("record", lua.RECORD_DELIVERY),
            ("quarantine_event", lua.QUARANTINE_EVENT), ("heartbeat", lua.HEARTBEAT),
            ("renew", lua.RENEW), ("acquire", lua.ACQUIRE), ("release", lua.RELEASE))}
        try:
            with self._failures("connect to"):
                await self._check_version(client)
                await self._check_partitions(client)
                await self._create_groups()
        except StoreError:
            await client.aclose()
            self._client = None
            raise

    async def _check_version(self, client: aioredis.Redis) -> None:
        """The scripts need Redis 7 (script flags); say so rather than fail obscurely later."""
        version = str((await client.info("server")).get("redis_version", "0"))
        major = version.split(".")[0]
        if not major.isdigit() or int(major) < 7:
            raise StoreError(f"Redis at {self.options.shown} is version {version}; botkit "
                             "needs Redis 7.0 or newer")

    async def _check_partitions(self, client: aioredis.Redis) -> None:
        """Every instance must split events the same way, or some would never be read."""
        wanted = self.options.partitions
        await client.hsetnx(self.keys.config, "partitions", wanted)
        stored = int(await client.hget(self.keys.config, "partitions") or wanted)
        if stored != wanted:
            raise StoreError(
                f"the store under prefix {self.options.prefix!r} has {stored} partitions but "
                f"this instance is configured with partitions={wanted}; use the same value "
                "everywhere (or a new prefix)")

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

    async def append(self, records: list[EventRecord], rejects: list[Reject] = ()) -> AppendResult:
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
            self._lease_task = asyncio.create_task(self._keep_leases(),
                                                   name="botkit-redis-leases")
        await self._leases_ready.wait()
        async with self.reading:
            with self._failures("read events from"):
                try:
                    events = await self._with_ledger(await self._read(limit))
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

    async def _read(self, limit: int) -> list[StoredEvent]:
        """Pending entries of newly taken partitions first, then new entries."""
        readable = self.leases.readable()
        events: list[StoredEvent] = []
        for p in readable:
            if p in self._recover and len(events) < limit:
                events += await self._recover_pending(p, limit - len(events))
        fresh = [p for p in readable if p not in self._recover]
        if fresh and len(events) < limit:
            events += await self._read_new(fresh, limit - len(events))
        return events

    async def wait_for_events(self, timeout: float) -> bool:
        """Block (XREAD) until an event is added to a partition this instance reads, whichever
        process added it, or until ``timeout`` (at most 4 s: reads time out at 5 s)."""
        streams = [self.keys.events(p) for p in self.leases.readable()]
        pipe = self.client.pipeline(transaction=False)
        for stream in streams:
            pipe.xinfo_groups(stream)
        with self._failures("wait for events on"):
            groups = await pipe.execute(raise_on_error=False) if streams else []
            # Whatever the group has not been given yet counts as new, so nothing added since
            # the last claim is missed.
            after = {stream: _last_delivered(found) for stream, found in zip(
                streams, groups, strict=True) if not isinstance(found, Exception)}
            if not after:  # no partitions to read (yet), or their groups are being remade
                await asyncio.sleep(min(timeout, self.leases.interval))
                return False
            block = max(1, int(min(timeout, BLOCK_LIMIT_SECONDS) * 1000))
            return bool(await self.client.xread(after, count=1, block=block))

    async def _keep_leases(self) -> None:
        rounds = 0
        while True:
            try:
                await self._refresh_leases()
            except Exception:  # a bug here must not stop the renewals
                log.exception("partition lease round failed")
            self._leases_ready.set()
            rounds += 1
            if rounds % RESCAN_EVERY_ROUNDS == 0:
                self.rewind()  # entries whose settle failed are found even under load
            await asyncio.sleep(self.leases.interval)

    async def _refresh_leases(self) -> None:
        try:
            gained, lost = await self.leases.refresh()
        except StoreError as exc:
            self._lease_failures += 1
            if self._lease_failures == 1:
                log.error("cannot renew partition leases: %s", exc)
            return
        if self._lease_failures:
            log.info("partition leases renewed again after %d failed round(s)",
                     self._lease_failures)
            self._lease_failures = 0
        for p in lost:
            log.warning("lost the lease on partition %d; another instance reads it now", p)
            self._recover.pop(p, None)
        for p in gained:
            self._recover[p] = "-"  # entries a former reader left pending come first

    def rewind(self) -> None:
        """Look again for entries left pending on our partitions (a failed settle, a replay)."""
        for p in self.leases.readable():
            self._recover.setdefault(p, "-")

    async def _recover_pending(self, p: int, limit: int) -> list[StoredEvent]:
        """Claim entries pending on partition ``p`` that nobody here is running, oldest first:
        those a former reader left, and ours whose settle failed.

        The lease guarantees a former reader is gone, so there is no idle time to wait; the
        delivery count Redis keeps becomes the attempt number.
        """
        stream, start = self.keys.events(p), self._recover[p]
        rows = await self.client.xpending_range(stream, GROUP, min=start, max="+", count=limit)
        if len(rows) < limit:
            del self._recover[p]
        else:
            self._recover[p] = "(" + text(rows[-1]["message_id"])
        running = self.inflight.get(p, set())
        counts = {text(row["message_id"]): int(row["times_delivered"]) for row in rows
                  if text(row["message_id"]) not in running}
        if not counts:
            return []
        claimed = await self.client.xclaim(stream, GROUP, self.instance, 0, list(counts))
        found = {text(entry_id): fields for entry_id, fields in stream_entries(claimed)}
        gone = [entry for entry in counts if entry not in found]
        if gone:  # deleted from the stream yet still pending: nothing is left to run
            await self.client.xack(stream, GROUP, *gone)
        if found:
            log.info("claimed %d pending event(s) of partition %d again", len(found), p)
        return await self._events(p, [(entry, found[entry], counts[entry] + 1)
                                      for entry in counts if entry in found])

    async def _read_new(self, partitions: list[int], limit: int) -> list[StoredEvent]:
        """Up to ``limit`` new entries, spread over the partitions; a partition that gave as
        many as it was asked for is asked again, until the limit is reached."""
        self._turn += 1
        turn = self._turn % len(partitions)
        candidates = partitions[turn:] + partitions[:turn]  # no partition always goes first
        events: list[StoredEvent] = []
        while candidates and len(events) < limit:
            remaining = limit - len(events)
            chosen = candidates[:remaining]
            count = max(1, remaining // len(chosen))
            by_stream = {self.keys.events(p): p for p in chosen}
            reply = await self.client.xreadgroup(GROUP, self.instance,
                                                 dict.fromkeys(by_stream, ">"), count=count)
            candidates = candidates[len(chosen):]  # not asked yet
            for name, entries in (reply.items() if isinstance(reply, dict) else reply or ()):
                p = by_stream[text(name)]
                found = [(text(entry_id), fields, 1)
                         for entry_id, fields in stream_entries(entries)]
                if len(found) == count:
                    candidates.append(p)
                events += await self._events(p, found)
        return events

    async def _events(self, p: int, entries: list[tuple[str, dict, int]]) -> list[StoredEvent]:
        """Stream entries as events; entries that botkit did not write go to quarantine."""
        events = []
        for entry, fields, attempt in entries:
            try:
                key, kind, conversation = (fields[name].decode()
                                           for name in (b"key", b"kind", b"conversation"))
                payload = fields[b"payload"]
                earlier = int(fields.get(b"attempts", 0))  # a replay counts on
                received_at = float(fields.get(b"received_at", 0)) or None
            except (KeyError, ValueError):  # UnicodeDecodeError is a ValueError
                log.warning("entry %s of partition %d is not a botkit event; kept in quarantine",
                            entry, p)
                await self.script("quarantine_event",
                                  [self.keys.events(p), self.keys.quarantine],
                                  [GROUP, entry, "stream entry is not a botkit event",
                                   "unknown", "", loose_json(fields), repr(self.clock()), ""])
                continue
            events.append(StoredEvent(entry_seq(entry), key, kind, conversation, payload,
                                      earlier + attempt, token=f"{p}:{entry}",
                                      received_at=received_at))
        return events

    async def _with_ledger(self, events: list[StoredEvent]) -> list[StoredEvent]:
        """Which plugins already finished each event (a retry must not run them again)."""
        if not events:
            return events
        pipe = self.client.pipeline(transaction=False)
        for event in events:
            pipe.hgetall(self.keys.ledger(event.key))
        rows = await pipe.execute(raise_on_error=False)
        for event, row in zip(events, rows, strict=True):
            if isinstance(row, Exception):
                raise row
            event.settled_plugins = frozenset(
                text(plugin) for plugin, value in row.items()
                if ledger_state(value) in SETTLED_STATES)
            event.in_doubt = frozenset(
                text(plugin) for plugin, value in row.items()
                if ledger_state(value) == "sending")
        return events

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
        """Run one script for many key/argument sets in one round trip; with ``wait_replicas``
        also WAIT, on the same connection, until that many replicas have the writes."""
        script = self._scripts[name]
        results: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        with self._failures(f"run {name} on"):
            for _ in range(2):
                pipe = self.client.pipeline(transaction=False)
                for i in todo:
                    keys, args = calls[i]
                    pipe.evalsha(script.sha, len(keys), *keys, *args)
                if wait_replicas:
                    pipe.execute_command("WAIT", wait_replicas, self.options.wait_timeout_ms)
                replies = await pipe.execute(raise_on_error=False)
                copies = replies.pop() if wait_replicas else 0
                for i, reply in zip(todo, replies, strict=True):
                    results[i] = reply
                todo = [i for i in todo if isinstance(results[i], NoScriptError)]
                if todo:  # Redis restarted or failed over: load the script and run the rest
                    await self.client.script_load(script.script)
                    continue
                for reply in (*results, copies):
                    if isinstance(reply, Exception):
                        raise reply
                if int(copies) < wait_replicas:
                    raise StoreError(
                        f"only {copies} of {wait_replicas} replica(s) confirmed the write within "
                        f"{self.options.wait_timeout_ms} ms; it may not survive a failover")
                return results
            raise StoreError(f"Redis at {self.options.shown} keeps losing its scripts")

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

    async def purge_expired(self, now: float) -> int:
        """Nothing to do: dedupe markers and ledger rows expire on their own in Redis."""
        return 0


def _last_delivered(groups: list[dict]) -> str:
    """The id up to which botkit's consumer group has been handed entries ("0": none)."""
    for group in groups:
        if text(group.get("name", b"")) == GROUP:
            return text(group.get("last-delivered-id", b"0"))
    return "0"
