"""Inspection and repair of a Redis store from the command line, while servers and workers run.

Waiting events are read from the partition streams, finished ones from the history stream (as
many as the ``history`` option keeps), dead letters and quarantined items from their streams.
Everything handed back to dispatch is added to its partition stream again, in one MULTI with
the ledger and stream changes that go with it; the instance holding that partition runs it.
How the streams are read as rows is in ``_redis_admin_base``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from botkit.json_codec import from_json
from botkit.store import _redis_scripts as lua
from botkit.store._redis_admin_base import RedisStreamRows
from botkit.store._redis_layout import REPROCESSED_KEPT, ledger_row, loose, text
from botkit.store._redis_rows import check_ids, decoded, event_row, number, scan_stream
from botkit.store.admin import EventFilter, StoreAdmin
from botkit.store.records import Delivery
from botkit.webhook.splitting import split_body

PUBLIC_FIELDS = ("key", "kind", "state", "attempts", "received_at", "conversation")


class RedisAdmin(RedisStreamRows, StoreAdmin):
    """Reads and repairs a Redis store with a connection of its own."""

    # -- reading ---------------------------------------------------------------------------

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
