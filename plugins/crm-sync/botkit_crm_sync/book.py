"""The contact book: contact records in SQLite, and the keys of the events already applied, both
changed in one transaction so that a redelivered event is never counted twice."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from .records import FIELDS, ContactRecord, apply, merge
from .sightings import Sighting

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    customer_id TEXT PRIMARY KEY,
    wa_id TEXT,
    user_id TEXT,
    name TEXT,
    username TEXT,
    first_seen INTEGER,
    last_seen INTEGER,
    last_message_text TEXT,
    last_message_type TEXT,
    last_message_at INTEGER,
    message_count INTEGER NOT NULL DEFAULT 0,
    opted_out INTEGER NOT NULL DEFAULT 0,
    opt_out_changed_at INTEGER,
    previous_wa_ids TEXT NOT NULL DEFAULT '[]',
    revision INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_wa_id ON contacts (wa_id);
CREATE INDEX IF NOT EXISTS contacts_user_id ON contacts (user_id);
CREATE TABLE IF NOT EXISTS applied_events (
    key TEXT PRIMARY KEY,
    applied_at REAL NOT NULL
);
"""
# Meta redelivers for up to 7 days; applied keys are kept well beyond that.
KEEP_APPLIED_SECONDS = 30 * 86400


class ContactBook:
    """One connection, used from worker threads one at a time (hooks call it via to_thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def open(self, now: float) -> None:
        """Create the book if needed and forget applied keys too old to be redelivered."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.executescript(SCHEMA)
            conn.execute("DELETE FROM applied_events WHERE applied_at < ?",
                         (now - KEEP_APPLIED_SECONDS,))
        except (OSError, sqlite3.Error) as exc:
            raise OSError(f"cannot open the contact book {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        self._conn = conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def record(self, sighting: Sighting, now: float) -> ContactRecord | None:
        """Apply ``sighting`` once; the customer's record as it now stands (also when the
        sighting was applied before, so that a retried upsert sends the current record)."""
        conn = self._connection()
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = self._record(conn, sighting, now)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    def find(self, wa_id: str | None, user_id: str | None) -> ContactRecord | None:
        with self._lock:
            return _find(self._connection(), wa_id, user_id)

    def all(self) -> list[ContactRecord]:
        with self._lock:
            return all_records(self._connection())

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the contact book is not open")
        return self._conn

    def _record(self, conn: sqlite3.Connection, sighting: Sighting, now: float
                ) -> ContactRecord | None:
        if conn.execute("SELECT 1 FROM applied_events WHERE key = ?",
                        (sighting.key,)).fetchone():
            return _find(conn, sighting.wa_id, sighting.user_id)
        replaced: set[str] = set()
        if sighting.moves:
            current = _find(conn, sighting.previous_wa_id or sighting.wa_id,
                            sighting.previous_user_id or sighting.user_id)
            arrived = _find(conn, sighting.wa_id, sighting.user_id)
            if current and arrived and arrived.customer_id != current.customer_id:
                # Messages from the new number were filed before the change was announced.
                replaced.update((current.customer_id, arrived.customer_id))
                current = merge(current, arrived)
            current = current or arrived
        else:
            current = _find(conn, sighting.wa_id, sighting.user_id)
        if current is not None:
            replaced.add(current.customer_id)
        updated = apply(current, sighting, now)
        clash = _get(conn, updated.customer_id)
        if clash is not None and clash.customer_id not in replaced:
            updated = merge(clash, updated)
        for customer_id in replaced:
            _delete(conn, customer_id)
        _save(conn, updated)
        conn.execute("INSERT INTO applied_events (key, applied_at) VALUES (?, ?)",
                     (sighting.key, now))
        return updated


def all_records(conn: sqlite3.Connection) -> list[ContactRecord]:
    """Every record, most recently seen first."""
    rows = conn.execute("SELECT * FROM contacts ORDER BY last_seen IS NULL, last_seen DESC, "
                        "customer_id").fetchall()
    return [_from_row(row) for row in rows]


def _find(conn: sqlite3.Connection, wa_id: str | None, user_id: str | None
          ) -> ContactRecord | None:
    """The record for a user id, else for a number that no other user id holds."""
    if user_id:
        row = conn.execute("SELECT * FROM contacts WHERE customer_id = ? OR user_id = ? "
                           "LIMIT 1", (user_id, user_id)).fetchone()
        if row is not None:
            return _from_row(row)
    if wa_id:
        row = conn.execute(
            "SELECT * FROM contacts WHERE (customer_id = ? OR wa_id = ?) "
            "AND (? IS NULL OR user_id IS NULL OR user_id = ?) "
            "ORDER BY last_seen DESC LIMIT 1", (wa_id, wa_id, user_id, user_id)).fetchone()
        if row is not None:
            return _from_row(row)
    return None


def _get(conn: sqlite3.Connection, customer_id: str) -> ContactRecord | None:
    row = conn.execute("SELECT * FROM contacts WHERE customer_id = ?", (customer_id,)).fetchone()
    return _from_row(row) if row is not None else None


def _delete(conn: sqlite3.Connection, customer_id: str) -> None:
    conn.execute("DELETE FROM contacts WHERE customer_id = ?", (customer_id,))


def _save(conn: sqlite3.Connection, record: ContactRecord) -> None:
    values = record.as_dict()
    values["opted_out"] = int(record.opted_out)
    values["previous_wa_ids"] = json.dumps(list(record.previous_wa_ids))
    conn.execute(f"INSERT OR REPLACE INTO contacts ({', '.join(FIELDS)}) "
                 f"VALUES ({', '.join('?' * len(FIELDS))})", [values[f] for f in FIELDS])


def _from_row(row: sqlite3.Row) -> ContactRecord:
    values = {field: row[field] for field in FIELDS}
    values["opted_out"] = bool(values["opted_out"])
    values["previous_wa_ids"] = tuple(json.loads(values["previous_wa_ids"] or "[]"))
    return ContactRecord(**values)
