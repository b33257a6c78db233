"""What the Redis store's admin reads before it acts: a connection of its own, and the streams
seen as event rows (waiting in the partitions, finished in the history, held in quarantine)
with their ledgers, selected like :class:`~botkit.store.admin.EventFilter` says.

Kept apart from :class:`~botkit.store.redis_admin.RedisAdmin`, whose module holds the
operations (list, replay, dead letters, quarantine), so that each reads on its own.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import redis
from redis.exceptions import ResponseError

from botkit.store._redis_layout import (
    GROUP,
    Keys,
    loose,
    parse_redis_url,
    partition_of,
    redis_failures,
    text,
)
from botkit.store._redis_rows import delivery_row, event_row, scan_stream
from botkit.store.admin import AdminError, EventFilter


class RedisStreamRows:
    """A connection of its own to a Redis store, and its streams read as event rows."""

    def __init__(self, url: str, *, dedupe_seconds: float = 8 * 86400,
                 clock: Callable[[], float] = time.time) -> None:
        self.options = parse_redis_url(url)
        self.keys = Keys(self.options.prefix)
        self.dedupe_seconds = max(1, int(dedupe_seconds))
        self.clock = clock
        self.client = redis.Redis.from_url(self.options.client_url, socket_connect_timeout=2.0,
                                           socket_timeout=30.0)
        with self._failures("connect to"):
            stored = self.client.hget(self.keys.config, "partitions")
        if stored is None:
            self.client.close()
            raise AdminError(f"no botkit store under prefix {self.options.prefix!r} at "
                             f"{self.options.shown}")
        self.partitions = int(stored)

    def close(self) -> None:
        self.client.close()

    def _failures(self, action: str) -> contextlib.AbstractContextManager[None]:
        return redis_failures(action, self.options.shown)

    def _waiting(self) -> dict[str, dict[str, Any]]:
        """Events in the partition streams (waiting or running), by key."""
        found: dict[str, dict[str, Any]] = {}
        for p in range(self.partitions):
            stream = self.keys.events(p)
            try:
                handed = {text(row["message_id"]): int(row["times_delivered"]) for row in
                          self.client.xpending_range(stream, GROUP, "-", "+", 1_000_000)}
            except ResponseError:  # no consumer group yet: nothing was handed out
                handed = {}
            for entry, fields in scan_stream(self.client, stream):
                row = event_row(fields, "pending")
                if row is not None:
                    row["attempts"] += handed.get(entry, 0)
                    found.setdefault(row["key"], row)
        return found

    def _finished(self, wanted: Callable[[dict[str, Any]], bool], *, since: float | None = None,
                  enough: int | None = None) -> Iterator[dict[str, Any]]:
        """Finished events from the history, newest first, the latest entry of each key."""
        seen: set[str] = set()
        matched = 0
        for entry, fields in scan_stream(self.client, self.keys.history, newest_first=True):
            if since is not None and int(entry.partition("-")[0]) < since * 1000:
                return  # finished before ``since``, so received before it too
            row = event_row(fields, text(fields.get("state", b"done")))
            if row is None or row["key"] in seen:
                continue
            seen.add(row["key"])
            if wanted(row):
                yield row
                matched += 1
                if enough is not None and matched >= enough:
                    return

    def _quarantined_events(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for entry, fields in scan_stream(self.client, self.keys.quarantine):
            kind = text(fields.get("kind", b""))
            if kind not in ("body", "unknown") and fields.get("key"):
                row = event_row(fields, "quarantined")
                if row is not None:
                    row["reason"] = loose(fields.get("reason", b""))
                    yield entry, row

    def _ledgers(self, rows: list[dict[str, Any]]) -> None:
        """Attach each event's ledger rows as ``deliveries``."""
        pipe = self.client.pipeline(transaction=False)
        for row in rows:
            pipe.hgetall(self.keys.ledger(row["key"]))
        for row, ledger in zip(rows, pipe.execute(), strict=True):
            row["deliveries"] = sorted(
                (delivery_row(text(plugin), value) for plugin, value in ledger.items()),
                key=lambda d: d["plugin"])

    def _select(self, selection: EventFilter) -> list[dict[str, Any]]:
        """The selected events, newest first, payloads included."""
        unplugged = EventFilter(selection.keys, selection.kind, selection.state, None,
                                selection.since, selection.until)
        found = self._waiting()
        if selection.state in (None, "done", "dead"):
            enough = selection.limit if not selection.plugin else None
            for row in self._finished(lambda r: r["key"] not in found and unplugged.matches(r),
                                      since=selection.since, enough=enough):
                found[row["key"]] = row
        if selection.state in (None, "quarantined"):
            for _, row in self._quarantined_events():
                found.setdefault(row["key"], row)
        rows = [row for row in found.values() if unplugged.matches(row)]
        self._ledgers(rows)
        rows = [row for row in rows if selection.matches(row)]
        rows.sort(key=lambda r: r["received_at"] or 0, reverse=True)
        return rows[:selection.limit] if selection.limit else rows

    def _requeue(self, pipe: Any, row: dict[str, Any]) -> None:
        """Add an event to its partition stream again; ``attempts`` counts the hand-outs so
        far, so plugins see this delivery as a repeat."""
        stream = self.keys.events(partition_of(row["conversation"], self.partitions))
        pipe.xadd(stream, {"key": row["key"], "kind": row["kind"],
                           "conversation": row["conversation"], "payload": row["payload"],
                           "received_at": repr(row["received_at"] or self.clock()),
                           "attempts": max(1, row["attempts"])})
