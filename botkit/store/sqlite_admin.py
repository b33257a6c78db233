"""Inspection and repair of a SQLite store from another process: events, dead letters,
quarantine, replay. A running server picks up replayed events within seconds."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from botkit.json_codec import from_json
from botkit.store._sqlite_dedupe import insert_new_aside, seq_of
from botkit.store.admin import AdminError, EventFilter, StoreAdmin
from botkit.store.sqlite import connect, sqlite_path
from botkit.webhook.splitting import split_body

__all__ = ["EventFilter", "SQLiteAdmin"]


def sql_where(selection: EventFilter, conn: sqlite3.Connection) -> tuple[str, list[Any]]:
    """The selection as a WHERE clause over ``events e`` (empty when it selects everything).
    Keys are looked up first (``events.key`` has no index of its own)."""
    clauses, args = [], []
    if selection.keys:
        seqs = [seq for seq in (seq_of(conn, key) for key in selection.keys) if seq is not None]
        clauses.append(f"e.seq IN ({','.join('?' * len(seqs))})")
        args += seqs
    for column, value in (("e.kind", selection.kind), ("e.state", selection.state)):
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if selection.plugin:
        clauses.append("EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = e.seq "
                       "AND d.plugin = ?)")
        args.append(selection.plugin)
    if selection.since is not None:
        clauses.append("e.received_at >= ?")
        args.append(selection.since)
    if selection.until is not None:
        clauses.append("e.received_at < ?")
        args.append(selection.until)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def item_ids(ids: tuple[str, ...]) -> tuple[int, ...]:
    """Quarantine ids of a SQLite store are whole numbers."""
    try:
        return tuple(int(i) for i in ids)
    except ValueError:
        raise AdminError(f"quarantine ids of a SQLite store are whole numbers, not {ids!r}"
                         ) from None


class SQLiteAdmin(StoreAdmin):
    """Reads and repairs the store with a connection of its own (the server may be running)."""

    def __init__(self, url: str) -> None:
        path = sqlite_path(url)
        if not path.exists():
            raise AdminError(f"no store at {path}")
        self.conn = connect(path, "full")
        self.conn.execute("PRAGMA busy_timeout = 10000")

    def close(self) -> None:
        self.conn.close()

    # -- events ----------------------------------------------------------------------------

    def events(self, selection: EventFilter) -> list[dict[str, Any]]:
        where, args = sql_where(selection, self.conn)
        limit = f" LIMIT {int(selection.limit)}" if selection.limit else ""
        rows = self.conn.execute(
            "SELECT e.seq, e.key, e.kind, e.state, e.attempts, e.received_at, e.conversation "
            f"FROM events e{where} ORDER BY e.seq DESC{limit}", args).fetchall()
        deliveries = self._deliveries([row[0] for row in rows])
        return [{"seq": seq, "key": key, "kind": kind, "state": state, "attempts": attempts,
                 "received_at": received, "conversation": conversation,
                 "deliveries": deliveries.get(seq, [])}
                for seq, key, kind, state, attempts, received, conversation in rows]

    def event(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT seq, key, kind, state, attempts, received_at, conversation, payload "
            "FROM events WHERE seq = ?", (seq_of(self.conn, key),)).fetchone()
        if row is None:
            return None
        seq = row[0]
        return {"seq": seq, "key": row[1], "kind": row[2], "state": row[3], "attempts": row[4],
                "received_at": row[5], "conversation": row[6], "payload": from_json(row[7]),
                "deliveries": self._deliveries([seq]).get(seq, []),
                "quarantine": [r[0] for r in self.conn.execute(
                    "SELECT reason FROM quarantine WHERE seq = ?", (seq,))]}

    def _deliveries(self, seqs: list[int]) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = {}
        for start in range(0, len(seqs), 500):
            chunk = seqs[start:start + 500]
            for seq, plugin, state, attempts, error in self.conn.execute(
                    "SELECT seq, plugin, state, attempts, error FROM deliveries "
                    f"WHERE seq IN ({','.join('?' * len(chunk))}) ORDER BY plugin", chunk):
                found.setdefault(seq, []).append(
                    {"plugin": plugin, "state": state, "attempts": attempts, "error": error})
        return found

    def replay(self, selection: EventFilter, plugin: str | None = None,
               all_plugins: Iterable[str] = ()) -> int:
        """Make the selected events pending again: for every plugin, or for ``plugin`` only
        (the others are recorded as done so they are not called again)."""
        where, args = sql_where(selection, self.conn)
        seqs = [row[0] for row in self.conn.execute(
            f"SELECT e.seq FROM events e{where} AND e.state != 'quarantined'"
            if where else "SELECT e.seq FROM events e WHERE e.state != 'quarantined'", args)]
        now = time.time()
        with self.conn:
            for seq in seqs:
                self.conn.execute("DELETE FROM deliveries WHERE seq = ?", (seq,))
                if plugin:
                    self.conn.executemany(
                        "INSERT INTO deliveries (seq, plugin, state, attempts, error, updated_at) "
                        "VALUES (?, ?, 'done', 0, NULL, ?)",
                        [(seq, other, now) for other in all_plugins if other != plugin])
                self.conn.execute("UPDATE events SET state = 'pending', updated_at = ? "
                                  "WHERE seq = ?", (now, seq))
        return len(seqs)

    # -- dead letters ----------------------------------------------------------------------

    def dead_letters(self, plugin: str | None = None, keys: tuple[str, ...] = ()
                     ) -> list[dict[str, Any]]:
        clauses, args = ["d.state = 'dead'"], []
        if plugin:
            clauses.append("d.plugin = ?")
            args.append(plugin)
        if keys:
            clauses.append(f"e.key IN ({','.join('?' * len(keys))})")
            args += keys
        rows = self.conn.execute(
            "SELECT e.seq, e.key, e.kind, d.plugin, d.attempts, d.error, d.updated_at "
            "FROM deliveries d JOIN events e ON e.seq = d.seq WHERE "
            + " AND ".join(clauses) + " ORDER BY d.updated_at", args).fetchall()
        return [{"seq": r[0], "key": r[1], "kind": r[2], "plugin": r[3], "attempts": r[4],
                 "error": r[5], "failed_at": r[6]} for r in rows]

    def retry_dead(self, plugin: str | None = None, keys: tuple[str, ...] = ()) -> int:
        """Run the dead plugins again for those events; plugins that succeeded stay done."""
        letters = self.dead_letters(plugin, keys)
        now = time.time()
        with self.conn:
            for letter in letters:
                self.conn.execute("DELETE FROM deliveries WHERE seq = ? AND plugin = ?",
                                  (letter["seq"], letter["plugin"]))
                self.conn.execute("UPDATE events SET state = 'pending', updated_at = ? "
                                  "WHERE seq = ?", (now, letter["seq"]))
        return len(letters)

    def purge_dead(self, plugin: str | None = None, keys: tuple[str, ...] = ()) -> int:
        """Give up on dead letters for good; an event with no dead plugin left counts as
        finished."""
        letters = self.dead_letters(plugin, keys)
        with self.conn:
            for letter in letters:
                self.conn.execute("DELETE FROM deliveries WHERE seq = ? AND plugin = ?",
                                  (letter["seq"], letter["plugin"]))
                self.conn.execute(
                    "UPDATE events SET state = 'done' WHERE seq = ? AND state = 'dead' AND NOT "
                    "EXISTS (SELECT 1 FROM deliveries WHERE seq = ? AND state = 'dead')",
                    (letter["seq"], letter["seq"]))
        return len(letters)

    # -- quarantine ------------------------------------------------------------------------

    def quarantine(self, state: str | None = "held", limit: int | None = None
                   ) -> list[dict[str, Any]]:
        where, args = ("WHERE state = ?", [state]) if state else ("", [])
        tail = f" LIMIT {int(limit)}" if limit else ""
        rows = self.conn.execute(
            "SELECT id, received_at, reason, kind, key, state, length(payload) FROM quarantine "
            f"{where} ORDER BY id{tail}", args).fetchall()
        return [{"id": r[0], "received_at": r[1], "reason": r[2], "kind": r[3], "key": r[4],
                 "state": r[5], "bytes": r[6]} for r in rows]

    def quarantined(self, item_id: str) -> dict[str, Any] | None:
        [number] = item_ids((item_id,))
        row = self.conn.execute("SELECT id, received_at, reason, kind, key, state, payload "
                                "FROM quarantine WHERE id = ?", (number,)).fetchone()
        if row is None:
            return None
        return {"id": row[0], "received_at": row[1], "reason": row[2], "kind": row[3],
                "key": row[4], "state": row[5], "payload": bytes(row[6])}

    def reprocess(self, ids: tuple[str, ...] = ()) -> tuple[int, int]:
        numbers = item_ids(ids)
        where = f" AND id IN ({','.join('?' * len(ids))})" if ids else ""
        rows = self.conn.execute(f"SELECT id, kind, seq, payload FROM quarantine "
                                 f"WHERE state = 'held'{where}", numbers).fetchall()
        done = failed = 0
        now = time.time()
        # One write transaction: no other writer may add an event between the check of its
        # key and its insert.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for item_id, kind, seq, payload in rows:
                if kind != "body":
                    self.conn.execute("UPDATE events SET state = 'pending', updated_at = ? "
                                      "WHERE seq = ?", (now, seq))
                else:
                    try:
                        result = split_body(from_json(payload))
                    except ValueError:
                        failed += 1
                        continue
                    if result.rejects:
                        failed += 1
                        continue
                    insert_new_aside(self.conn, [
                        (r.key, r.kind, r.conversation, r.occurred_at, now, r.payload)
                        for r in result.records])
                self.conn.execute("UPDATE quarantine SET state = 'reprocessed' WHERE id = ?",
                                  (item_id,))
                done += 1
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return done, failed
