"""Inspection and repair of a Redis store from the command line, while servers and workers run.

Waiting events are read from the partition streams, finished ones from the history stream (as
many as the ``history`` option keeps), dead letters and quarantined items from their streams.
Everything handed back to dispatch is added to its partition stream again, in one MULTI with
the ledger and stream changes that go with it; the instance holding that partition runs it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import redis
from redis.exceptions import ResponseError

from botkit.json_codec import from_json
from botkit.store import _redis_scripts as lua
from botkit.store._redis_layout import (
    GROUP,
    REPROCESSED_KEPT,
    Keys,
    ledger_row,
    loose,
    parse_redis_url,
    partition_of,
    redis_failures,
    text,
)
from botkit.store._redis_rows import (
    check_ids,
    decoded,
    delivery_row,
    event_row,
    number,
    scan_stream,
)
from botkit.store.admin import AdminError, EventFilter, StoreAdmin
from botkit.store.records import Delivery
from botkit.webhook.splitting import split_body

PUBLIC_FIELDS = ("key", "kind", "state", "attempts", "received_at", "conversation")


class RedisAdmin(StoreAdmin):
    """Reads and repairs a Redis store with a connection of its own."""

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

    # -- reading ---------------------------------------------------------------------------

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

    def events(self, selection: EventFilter) -> list[dict[str, Any]]:
        with self._failures("read events from"):
            rows = self._select(selection)
        return [{**{name: row[name] for name in PUBLIC_FIELDS},
                 "deliveries": row["deliveries"]} for row in rows]

    def event(self, key: str) -> dict[str, Any] | None:
        with self._failures("read events from"):
            rows = self._select(EventFilter(keys=(key,), limit=1))
            reasons = [row["reason"] for _, row in self._quarantined_events()
                       if row["key"] == key]
        if not rows:
            return None
        row = rows[0]
        return {**{name: row[name] for name in PUBLIC_FIELDS},
                "payload": decoded(row["payload"]), "deliveries": row["deliveries"],
                "quarantine": reasons}

    # -- handing events back ---------------------------------------------------------------

    def _requeue(self, pipe: Any, row: dict[str, Any]) -> None:
        """Add an event to its partition stream again; ``attempts`` counts the hand-outs so
        far, so plugins see this delivery as a repeat."""
        stream = self.keys.events(partition_of(row["conversation"], self.partitions))
        pipe.xadd(stream, {"key": row["key"], "kind": row["kind"],
                           "conversation": row["conversation"], "payload": row["payload"],
                           "received_at": repr(row["received_at"] or self.clock()),
                           "attempts": max(1, row["attempts"])})

    def replay(self, selection: EventFilter, plugin: str | None = None,
               all_plugins: Iterable[str] = ()) -> int:
        """Events still waiting are left as they are: they are about to be dispatched. The
        dead letters of a replayed event go with its ledger rows (as on SQLite): a later
        ``retry_dead`` must not run a plugin again that the replay ran."""
        others = [name for name in all_plugins if name != plugin] if plugin else []
        replayed = 0
        with self._failures("replay events on"):
            rows = [row for row in self._select(selection)
                    if row["state"] in ("done", "dead")]
            replaying = {row["key"] for row in rows}
            letters: dict[str, list[str]] = {}
            for letter in self._letters(None, ()) if rows else ():
                if letter["key"] in replaying:
                    letters.setdefault(letter["key"], []).append(letter["id"])
            for start in range(0, len(rows), 100):
                pipe = self.client.pipeline(transaction=True)
                for row in rows[start:start + 100]:
                    ledger = self.keys.ledger(row["key"])
                    pipe.delete(ledger)
                    if row["key"] in letters:
                        pipe.xdel(self.keys.dead, *letters[row["key"]])
                    for other in others:
                        pipe.hset(ledger, other, ledger_row(Delivery(other, "done", 0)))
                    if others:
                        pipe.expire(ledger, self.dedupe_seconds)
                    self._requeue(pipe, row)
                pipe.execute()
                replayed += len(rows[start:start + 100])
        return replayed

    # -- dead letters ----------------------------------------------------------------------

    def _letters(self, plugin: str | None, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        letters = []
        for entry, fields in scan_stream(self.client, self.keys.dead):
            row = event_row(fields, "dead")
            if row is None or (plugin and text(fields.get("plugin", b"")) != plugin):
                continue
            if keys and row["key"] not in keys:
                continue
            letters.append({**row, "id": entry, "plugin": text(fields.get("plugin", b"")),
                            "attempts": number(fields.get("attempts"), int),
                            "error": loose(fields.get("error", b"")),
                            "failed_at": number(fields.get("failed_at"), float)})
        return letters

    def dead_letters(self, plugin: str | None = None, keys: tuple[str, ...] = ()
                     ) -> list[dict[str, Any]]:
        with self._failures("read dead letters from"):
            letters = self._letters(plugin, keys)
        return [{name: letter[name] for name in
                 ("id", "key", "kind", "plugin", "attempts", "error", "failed_at")}
                for letter in letters]

    def retry_dead(self, plugin: str | None = None, keys: tuple[str, ...] = ()) -> int:
        with self._failures("retry dead letters on"):
            letters = self._letters(plugin, keys)
            if not letters:
                return 0
            by_key: dict[str, list[dict[str, Any]]] = {}
            for letter in letters:
                by_key.setdefault(letter["key"], []).append(letter)
            waiting = self._waiting()
            handed = {row["key"]: row["attempts"] for row in self._finished(
                lambda r: r["key"] in by_key, enough=len(by_key))}
            pipe = self.client.pipeline(transaction=True)
            for key, group in by_key.items():
                pipe.hdel(self.keys.ledger(key), *{letter["plugin"] for letter in group})
                if key not in waiting:  # a waiting event runs the plugin again anyway
                    self._requeue(pipe, {**group[0], "attempts": handed.get(key, 1)})
                pipe.xdel(self.keys.dead, *(letter["id"] for letter in group))
            pipe.execute()
        return len(letters)

    def purge_dead(self, plugin: str | None = None, keys: tuple[str, ...] = ()) -> int:
        """As on SQLite, an event none of whose plugins is dead any more counts as done: its
        history gets a ``done`` entry and its ledger loses the dead rows."""
        with self._failures("purge dead letters on"):
            letters = self._letters(plugin, keys)
            if not letters:
                return 0
            purged = {letter["id"] for letter in letters}
            still_dead = {letter["key"] for letter in self._letters(None, ())
                          if letter["id"] not in purged}
            finished = {letter["key"] for letter in letters} - still_dead
            pipe = self.client.pipeline(transaction=True)
            pipe.xdel(self.keys.dead, *purged)
            for letter in letters:
                pipe.hdel(self.keys.ledger(letter["key"]), letter["plugin"])
            for row in self._finished(lambda r: r["key"] in finished and r["state"] == "dead",
                                      enough=len(finished)):
                self._record_done(pipe, row)
            pipe.execute()
        return len(letters)

    def _record_done(self, pipe: Any, row: dict[str, Any]) -> None:
        if self.options.history:
            pipe.xadd(self.keys.history, {
                "key": row["key"], "kind": row["kind"], "conversation": row["conversation"],
                "received_at": repr(row["received_at"] or 0), "state": "done",
                "attempts": row["attempts"], "settled_at": repr(self.clock()),
                "payload": row["payload"]}, maxlen=self.options.history, approximate=True)

    # -- quarantine ------------------------------------------------------------------------

    def _items(self, stream: str, state: str) -> Iterator[dict[str, Any]]:
        for entry, fields in scan_stream(self.client, stream):
            yield {"id": entry, "received_at": number(fields.get("received_at"), float),
                   "reason": loose(fields.get("reason", b"")),
                   "kind": text(fields.get("kind", b"")) or None,
                   "key": text(fields.get("key", b"")) or None, "state": state,
                   "bytes": len(fields.get("payload", b"")), "fields": fields}

    def quarantine(self, state: str | None = "held", limit: int | None = None
                   ) -> list[dict[str, Any]]:
        with self._failures("read the quarantine of"):
            items = []
            if state in (None, "held"):
                items += self._items(self.keys.quarantine, "held")
            if state in (None, "reprocessed"):
                items += self._items(self.keys.reprocessed, "reprocessed")
        items.sort(key=lambda item: tuple(map(int, item["id"].split("-"))))
        return [{k: v for k, v in item.items() if k != "fields"}
                for item in (items[:limit] if limit else items)]

    def quarantined(self, item_id: str) -> dict[str, Any] | None:
        check_ids((item_id,))
        with self._failures("read the quarantine of"):
            for stream, state in ((self.keys.quarantine, "held"),
                                  (self.keys.reprocessed, "reprocessed")):
                for entry_id, fields in self.client.xrange(stream, item_id, item_id):
                    fields = {text(name): value for name, value in fields.items()}
                    return {"id": text(entry_id), "state": state,
                            "received_at": number(fields.get("received_at"), float),
                            "reason": loose(fields.get("reason", b"")),
                            "kind": text(fields.get("kind", b"")) or None,
                            "key": text(fields.get("key", b"")) or None,
                            "payload": bytes(fields.get("payload", b""))}
        return None

    def reprocess(self, ids: tuple[str, ...] = ()) -> tuple[int, int]:
        check_ids(ids)
        done = failed = 0
        with self._failures("reprocess the quarantine of"):
            for item in list(self._items(self.keys.quarantine, "held")):
                if ids and item["id"] not in ids:
                    continue
                pipe = self.client.pipeline(transaction=True)
                if not self._hand_back(pipe, item):
                    failed += 1
                    continue
                moved = {**item["fields"], "state": "reprocessed",
                         "reprocessed_at": repr(self.clock())}
                pipe.xadd(self.keys.reprocessed, moved, maxlen=REPROCESSED_KEPT,
                          approximate=True)
                pipe.xdel(self.keys.quarantine, item["id"])
                pipe.execute()
                done += 1
        return done, failed

    def _hand_back(self, pipe: Any, item: dict[str, Any]) -> bool:
        """Queue the commands that dispatch a quarantined item again; False if it still
        cannot be read."""
        fields = item["fields"]
        if item["kind"] == "body":
            try:
                result = split_body(from_json(fields.get("payload", b"")))
            except (ValueError, RecursionError):
                return False
            if result.rejects:
                return False
            if result.records:  # a body with nothing to dispatch is simply done with
                self._append(pipe, result.records)
            return True
        row = event_row(fields, "quarantined")
        if row is None or item["kind"] == "unknown":
            return False
        self._requeue(pipe, row)
        return True

    def _append(self, pipe: Any, records: list) -> None:
        """The store's own append script: events already stored are not stored twice."""
        keys, args = self.keys.append_call(self.partitions, self.dedupe_seconds, self.clock(),
                                           records)
        pipe.eval(lua.APPEND, len(keys), *keys, *args)
