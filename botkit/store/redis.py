"""The shared store: Redis Streams, so that several serve and worker processes act as one.

Events go to one of P partition streams by a stable hash of their conversation. Each partition
is read by one instance at a time, the holder of its lease, through the consumer group
``botkit``: events of one conversation stay in order across instances, and entries left pending
by an instance that died are claimed again by the next holder of the lease.

Keys (``<ns>`` is the URL's ``prefix``, default ``botkit``)::

    <ns>:seen:<key>     dedupe marker, expires after the dedupe window
    <ns>:events:<p>     partition stream p (consumer group "botkit")
    <ns>:lease:<p>      instance id of the reader of partition p (expires unless renewed)
    <ns>:instances      sorted set of live consumers (their lease expiry as score)
    <ns>:ledger:<key>   per-plugin delivery rows of an event, JSON, expires with the window
    <ns>:dead           dead letters (stream)
    <ns>:quarantine     authentic input that cannot be dispatched (stream)
    <ns>:config         settings every instance must share (the partition count)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import secrets
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff
from redis.exceptions import NoScriptError, RedisError, ResponseError

from ..errors import StoreError
from ..split import EventRecord, Reject
from . import _redis_scripts as lua
from .base import AppendResult, Delivery, Store, StoredEvent

log = logging.getLogger("botkit.store.redis")

GROUP = "botkit"
DEFAULT_PREFIX = "botkit"
DEFAULT_PARTITIONS = 16
DEFAULT_LEASE_MS = 10_000
DEFAULT_WAIT_TIMEOUT_MS = 1_000
SETTLED_STATES = frozenset({"done", "dead"})
# Every this many lease rounds, pending entries of our partitions are looked at again.
RESCAN_EVERY_ROUNDS = 10
# A partition being handed to another instance waits for its running events this long at most
# (plugins retrying with backoff take up to [dispatch] max_retry_seconds, 300 by default).
DRAIN_LIMIT_SECONDS = 300


@dataclass(frozen=True)
class RedisOptions:
    """A ``redis://`` store URL split into what redis-py connects to and botkit's own options."""

    client_url: str
    shown: str  # the URL without its password, for messages
    prefix: str = DEFAULT_PREFIX
    partitions: int = DEFAULT_PARTITIONS
    lease_ms: int = DEFAULT_LEASE_MS
    wait_replicas: int = 0
    wait_timeout_ms: int = DEFAULT_WAIT_TIMEOUT_MS


OPTION_LIMITS = {  # name: (lowest, highest)
    "partitions": (1, 1024),
    "lease_ms": (500, 600_000),
    "wait_replicas": (0, 100),
    "wait_timeout_ms": (1, 600_000),
}


def parse_redis_url(url: str) -> RedisOptions:
    """Take botkit's options (``prefix``, ``partitions``, ``lease_ms``, ``wait_replicas``,
    ``wait_timeout_ms``) out of the query; the rest of the URL is redis-py's."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise StoreError(f"not a redis URL: {_without_password(url)!r} "
                         "(expected redis://host:port/db or rediss://...)")
    ours: dict[str, Any] = {}
    theirs = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "prefix":
            if not value or any(c.isspace() for c in value):
                raise StoreError(f"store URL option prefix={value!r}: expected a non-empty "
                                 "name without spaces")
            ours[name] = value
        elif name in OPTION_LIMITS:
            low, high = OPTION_LIMITS[name]
            if not value.isdigit() or not low <= int(value) <= high:
                raise StoreError(f"store URL option {name}={value!r}: expected a whole number "
                                 f"from {low} to {high}")
            ours[name] = int(value)
        else:
            theirs.append((name, value))
    client_url = urlunsplit(parts._replace(query=urlencode(theirs)))
    return RedisOptions(client_url=client_url, shown=_without_password(client_url), **ours)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    _, _, host = parts.netloc.rpartition("@")  # host and port as written
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def partition_of(conversation: str, partitions: int) -> int:
    """The partition of a conversation: the same in every process and on every machine."""
    return zlib.crc32(conversation.encode()) % partitions


def new_instance_id() -> str:
    """Names this process in leases and as a consumer: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Keys:
    """The key names under one namespace prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.dead = f"{prefix}:dead"
        self.quarantine = f"{prefix}:quarantine"
        self.instances = f"{prefix}:instances"
        self.config = f"{prefix}:config"

    def events(self, partition: int) -> str:
        return f"{self.prefix}:events:{partition}"

    def lease(self, partition: int) -> str:
        return f"{self.prefix}:lease:{partition}"

    def seen(self, key: str) -> str:
        return f"{self.prefix}:seen:{key}"

    def ledger(self, key: str) -> str:
        return f"{self.prefix}:ledger:{key}"


def _describe(exc: BaseException) -> str:
    """A short reason: the first line of the error, never the command that carried a payload."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:300]}" if text else type(exc).__name__


class PartitionLeases:
    """Which partitions this instance may read.

    Each round it announces itself as alive, renews its leases, and moves towards its fair
    share, ceil(P / live instances): it takes free partitions when under it and, when over it,
    stops reading some and gives each back once its events in flight are finished (so the next
    holder never runs an event this one is still running). A lease that could not be renewed
    in time is not read any more.
    """

    def __init__(self, store: RedisStore) -> None:
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


class RedisStore(Store):
    """Several instances share one Redis; see the module docstring for the layout."""

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
                        _describe(exc))
        await self._client.aclose()
        self._client = None

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            raise StoreError("the store is not open")
        return self._client

    @contextlib.contextmanager
    def _failures(self, action: str) -> Iterator[None]:
        try:
            yield
        except (RedisError, OSError) as exc:
            raise StoreError(f"cannot {action} Redis at {self.options.shown}: "
                             f"{_describe(exc)}") from None

    async def script(self, name: str, keys: list[str], args: list[Any], *,
                     wait_replicas: int = 0) -> Any:
        """Run one of the Lua scripts (see ``_redis_scripts``) as one atomic step."""
        [result] = await self._pipelined(name, [(keys, args)], wait_replicas=wait_replicas)
        return result

    # -- the webhook side ------------------------------------------------------------------

    async def append(self, records: list[EventRecord], rejects: list[Reject] = ()) -> AppendResult:
        if not records and not rejects:
            return AppendResult(0, 0)
        parts = self.options.partitions
        keys = [self.keys.quarantine]
        args: list[Any] = [self.dedupe_seconds, repr(self.clock()), len(records)]
        for r in records:
            keys += [self.keys.seen(r.key), self.keys.events(partition_of(r.conversation, parts))]
            args += [r.key, r.kind, r.conversation,
                     "" if r.occurred_at is None else r.occurred_at, r.payload]
        for reject in rejects:
            args += [reject.reason, reject.fragment]
        accepted = await self.script("append", keys, args,
                                     wait_replicas=self.options.wait_replicas)
        return AppendResult(accepted=int(accepted), duplicates=len(records) - int(accepted))

    async def quarantine(self, reason: str, body: bytes) -> None:
        # The append script with no records is exactly "add rejects to quarantine".
        await self.script("append", [self.keys.quarantine],
                          [self.dedupe_seconds, repr(self.clock()), 0, reason, body],
                          wait_replicas=self.options.wait_replicas)

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
                p, entry = _split_token(event.token)
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
            self._recover[p] = "(" + _text(rows[-1]["message_id"])
        running = self.inflight.get(p, set())
        counts = {_text(row["message_id"]): int(row["times_delivered"]) for row in rows
                  if _text(row["message_id"]) not in running}
        if not counts:
            return []
        claimed = await self.client.xclaim(stream, GROUP, self.instance, 0, list(counts))
        found = {_text(entry_id): fields for entry_id, fields in _entries(claimed)}
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
                p = by_stream[_text(name)]
                found = [(_text(entry_id), fields, 1) for entry_id, fields in _entries(entries)]
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
            except (KeyError, UnicodeDecodeError):
                log.warning("entry %s of partition %d is not a botkit event; kept in quarantine",
                            entry, p)
                await self.script("quarantine_event",
                                  [self.keys.events(p), self.keys.quarantine],
                                  [GROUP, entry, "stream entry is not a botkit event",
                                   "unknown", "", _loose_json(fields), repr(self.clock())])
                continue
            events.append(StoredEvent(_seq(entry), key, kind, conversation, payload, attempt,
                                      token=f"{p}:{entry}"))
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
                _text(plugin) for plugin, value in row.items()
                if _ledger_state(value) in SETTLED_STATES)
            event.in_doubt = frozenset(
                _text(plugin) for plugin, value in row.items()
                if _ledger_state(value) == "sending")
        return events

    async def settle(self, event: StoredEvent, state: str, deliveries: list[Delivery]) -> None:
        await self.settle_many([(event, state, deliveries)])

    async def settle_many(self, items: list[tuple[StoredEvent, str, list[Delivery]]]) -> None:
        """Finish events in one round trip: a settle script per event, pipelined."""
        calls, finished = [], []
        for event, _state, deliveries in items:
            p, entry = _split_token(event.token)
            finished.append((p, entry))
            dead = any(d.state == "dead" for d in deliveries)
            args: list[Any] = [GROUP, entry, self.dedupe_seconds, repr(self.clock()),
                               event.key, event.kind, event.payload if dead else ""]
            for d in deliveries:
                args += [d.plugin, _ledger_row(d), d.state, d.attempts, d.error or ""]
            calls.append(([self.keys.events(p), self.keys.ledger(event.key), self.keys.dead],
                          args))
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
                          [self.dedupe_seconds, delivery.plugin, _ledger_row(delivery)])

    async def quarantine_event(self, event: StoredEvent, reason: str) -> None:
        p, entry = _split_token(event.token)
        try:
            await self.script("quarantine_event", [self.keys.events(p), self.keys.quarantine],
                              [GROUP, entry, reason, event.kind, event.key, event.payload,
                               repr(self.clock())])
        finally:
            self.inflight.get(p, set()).discard(entry)

    # -- health ----------------------------------------------------------------------------

    async def ping(self) -> None:
        with self._failures("ping"):
            await self.client.ping()

    async def pending_count(self) -> int:
        """Entries in the partition streams: settled ones are deleted, so these all wait."""
        pipe = self.client.pipeline(transaction=False)
        for p in range(self.options.partitions):
            pipe.xlen(self.keys.events(p))
        with self._failures("count events on"):
            lengths = await pipe.execute(raise_on_error=False)
            for length in lengths:
                if isinstance(length, Exception):
                    raise length
        return sum(lengths)

    async def purge_expired(self, now: float) -> int:
        """Nothing to do: dedupe markers and ledger rows expire on their own in Redis."""
        return 0


def _ledger_row(delivery: Delivery) -> str:
    return json.dumps({"state": delivery.state, "attempts": delivery.attempts,
                       "error": delivery.error})


def _ledger_state(row: bytes) -> str | None:
    """The state in a ledger row; a row botkit cannot read counts as not finished."""
    try:
        value = json.loads(row)
    except ValueError:
        return None
    return value.get("state") if isinstance(value, dict) else None


def _split_token(token: str | None) -> tuple[int, str]:
    if not token or ":" not in token:
        raise StoreError(f"event token {token!r} is not from a redis store")
    partition, _, entry = token.partition(":")
    return int(partition), entry


def _seq(entry: str) -> int:
    """An increasing number from a stream id (milliseconds, sequence)."""
    millis, _, sequence = entry.partition("-")
    return (int(millis) << 20) | (int(sequence or 0) & 0xFFFFF)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _loose_json(fields: dict) -> str:
    """Fields of a foreign stream entry as JSON, whatever bytes they hold."""
    return json.dumps({_loose(k): _loose(v) for k, v in fields.items()})


def _loose(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _entries(entries: Any) -> Iterator[tuple[bytes, dict]]:
    """Stream entries as (id, fields) whatever shape the protocol version gives them."""
    for entry_id, fields in entries:
        if isinstance(fields, list):
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        if fields:
            yield entry_id, fields

