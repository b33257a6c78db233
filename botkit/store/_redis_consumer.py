"""The consuming side of the Redis store: keeping this instance's partition leases, and reading
the partitions it holds as events (entries a former reader left pending first, then new ones,
each with its ledger so that a retry never runs a plugin that already finished).

Kept apart from :class:`~botkit.store.redis.RedisStore`, which owns the connection, the writes
and the settling, because this is the part about who reads what and in which order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as aioredis

from botkit.errors import StoreError
from botkit.store._redis_layout import (
    GROUP,
    SETTLED_STATES,
    Keys,
    RedisOptions,
    entry_seq,
    ledger_state,
    loose_json,
    redis_failures,
    stream_entries,
    text,
)
from botkit.store.records import StoredEvent

log = logging.getLogger("botkit.store.redis")

# Every this many lease rounds, pending entries of our partitions are looked at again.
RESCAN_EVERY_ROUNDS = 10
# The longest blocking read; the client's socket timeout (5 s) must stay above it.
BLOCK_LIMIT_SECONDS = 4.0


class Leases(Protocol):
    """The partition leases as the consumer uses them (``_redis_leases.PartitionLeases``)."""

    interval: float

    def readable(self) -> list[int]: ...

    async def refresh(self) -> tuple[list[int], list[int]]: ...


class ConsumingStore(Protocol):
    """What the consumer uses of its :class:`~botkit.store.redis.RedisStore`."""

    options: RedisOptions
    keys: Keys
    instance: str
    inflight: dict[int, set[str]]
    clock: Callable[[], float]

    @property
    def leases(self) -> Leases: ...

    @property
    def client(self) -> aioredis.Redis: ...

    async def script(self, name: str, keys: list[str], args: list[Any], *,
                     wait_replicas: int = 0) -> Any: ...

    def rewind(self) -> None: ...


class PartitionConsumer:
    """Renews the leases in the background and hands out the entries of leased partitions."""

    def __init__(self, store: ConsumingStore) -> None:
        self.store = store
        self.recover: dict[int, str] = {}  # partition -> where its pending scan continues
        self.ready = asyncio.Event()  # set once the first lease round is over
        self.failures = 0  # lease rounds failed in a row
        self.turn = 0

    async def keep_leases(self) -> None:
        """Lease rounds until cancelled; :attr:`ready` is set after the first."""
        store = self.store
        rounds = 0
        while True:
            try:
                await self._refresh()
            except Exception:  # a bug here must not stop the renewals
                log.exception("partition lease round failed")
            self.ready.set()
            rounds += 1
            if rounds % RESCAN_EVERY_ROUNDS == 0:
                store.rewind()  # entries whose settle failed are found even under load
            await asyncio.sleep(store.leases.interval)

    async def _refresh(self) -> None:
        try:
            gained, lost = await self.store.leases.refresh()
        except StoreError as exc:
            self.failures += 1
            if self.failures == 1:
                log.error("cannot renew partition leases: %s", exc)
            return
        if self.failures:
            log.info("partition leases renewed again after %d failed round(s)", self.failures)
            self.failures = 0
        for p in lost:
            log.warning("lost the lease on partition %d; another instance reads it now", p)
            self.recover.pop(p, None)
        for p in gained:
            self.recover[p] = "-"  # entries a former reader left pending come first

    def rewind(self) -> None:
        """Look again for entries left pending on our partitions (a failed settle, a replay)."""
        for p in self.store.leases.readable():
            self.recover.setdefault(p, "-")

    async def wait_for_events(self, timeout: float) -> bool:
        """Block (XREAD) until an event is added to a partition this instance reads, whichever
        process added it, or until ``timeout`` (at most 4 s: reads time out at 5 s)."""
        store = self.store
        streams = [store.keys.events(p) for p in store.leases.readable()]
        pipe = store.client.pipeline(transaction=False)
        for stream in streams:
            pipe.xinfo_groups(stream)
        with redis_failures("wait for events on", store.options.shown):
            groups = await pipe.execute(raise_on_error=False) if streams else []
            # Whatever the group has not been given yet counts as new, so nothing added since
            # the last claim is missed.
            after = {stream: _last_delivered(found) for stream, found in zip(
                streams, groups, strict=True) if not isinstance(found, Exception)}
            if not after:  # no partitions to read (yet), or their groups are being remade
                await asyncio.sleep(min(timeout, store.leases.interval))
                return False
            block = max(1, int(min(timeout, BLOCK_LIMIT_SECONDS) * 1000))
            return bool(await store.client.xread(after, count=1, block=block))

    async def read(self, limit: int) -> list[StoredEvent]:
        """Pending entries of newly taken partitions first, then new entries."""
        readable = self.store.leases.readable()
        events: list[StoredEvent] = []
        for p in readable:
            if p in self.recover and len(events) < limit:
                events += await self._recover_pending(p, limit - len(events))
        fresh = [p for p in readable if p not in self.recover]
        if fresh and len(events) < limit:
            events += await self._read_new(fresh, limit - len(events))
        return events

    async def _recover_pending(self, p: int, limit: int) -> list[StoredEvent]:
        """Claim entries pending on partition ``p`` that nobody here is running, oldest first:
        those a former reader left, and ours whose settle failed.

        The lease guarantees a former reader is gone, so there is no idle time to wait; the
        delivery count Redis keeps becomes the attempt number.
        """
        store = self.store
        stream, start = store.keys.events(p), self.recover[p]
        rows = await store.client.xpending_range(stream, GROUP, min=start, max="+", count=limit)
        if len(rows) < limit:
            del self.recover[p]
        else:
            self.recover[p] = "(" + text(rows[-1]["message_id"])
        running = store.inflight.get(p, set())
        counts = {text(row["message_id"]): int(row["times_delivered"]) for row in rows
                  if text(row["message_id"]) not in running}
        if not counts:
            return []
        claimed = await store.client.xclaim(stream, GROUP, store.instance, 0, list(counts))
        found = {text(entry_id): fields for entry_id, fields in stream_entries(claimed)}
        gone = [entry for entry in counts if entry not in found]
        if gone:  # deleted from the stream yet still pending: nothing is left to run
            await store.client.xack(stream, GROUP, *gone)
        if found:
            log.info("claimed %d pending event(s) of partition %d again", len(found), p)
        return await self._events(p, [(entry, found[entry], counts[entry] + 1)
                                      for entry in counts if entry in found])

    async def _read_new(self, partitions: list[int], limit: int) -> list[StoredEvent]:
        """Up to ``limit`` new entries, spread over the partitions; a partition that gave as
        many as it was asked for is asked again, until the limit is reached."""
        store = self.store
        self.turn += 1
        turn = self.turn % len(partitions)
        candidates = partitions[turn:] + partitions[:turn]  # no partition always goes first
        events: list[StoredEvent] = []
        while candidates and len(events) < limit:
            remaining = limit - len(events)
            chosen = candidates[:remaining]
            count = max(1, remaining // len(chosen))
            by_stream = {store.keys.events(p): p for p in chosen}
            reply = await store.client.xreadgroup(GROUP, store.instance,
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
        store = self.store
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
                await store.script("quarantine_event",
                                   [store.keys.events(p), store.keys.quarantine],
                                   [GROUP, entry, "stream entry is not a botkit event",
                                    "unknown", "", loose_json(fields), repr(store.clock()), ""])
                continue
            events.append(StoredEvent(entry_seq(entry), key, kind, conversation, payload,
                                      earlier + attempt, token=f"{p}:{entry}",
                                      received_at=received_at))
        return events

    async def with_ledger(self, events: list[StoredEvent]) -> list[StoredEvent]:
        """Which plugins already finished each event (a retry must not run them again)."""
        store = self.store
        if not events:
            return events
        pipe = store.client.pipeline(transaction=False)
        for event in events:
            pipe.hgetall(store.keys.ledger(event.key))
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


def _last_delivered(groups: list[dict]) -> str:
    """The id up to which botkit's consumer group has been handed entries ("0": none)."""
    for group in groups:
        if text(group.get("name", b"")) == GROUP:
            return text(group.get("last-delivered-id", b"0"))
    return "0"
