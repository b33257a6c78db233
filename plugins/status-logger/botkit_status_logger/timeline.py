"""The status database: one timeline row per (message, status) and one current-state row per
message. The (wamid, status) key makes recording idempotent: a redelivered status finds its row
and changes nothing."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .entries import FAILED, KNOWN, RANKS, StatusEntry, supersedes

SCHEMA = """
CREATE TABLE IF NOT EXISTS status_timeline (
    wamid TEXT NOT NULL,
    status TEXT NOT NULL,
    timestamp INTEGER,
    recipient_id TEXT,
    recipient_user_id TEXT,
    phone_number_id TEXT,
    error_code INTEGER,
    error_title TEXT,
    errors TEXT NOT NULL DEFAULT '[]',
    pricing_category TEXT,
    pricing_model TEXT,
    pricing_type TEXT,
    conversation_id TEXT,
    biz_opaque_callback_data TEXT,
    event_key TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    PRIMARY KEY (wamid, status)
);
CREATE TABLE IF NOT EXISTS message_states (
    wamid TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    status_timestamp INTEGER,
    first_timestamp INTEGER,
    recipient_id TEXT,
    recipient_user_id TEXT,
    phone_number_id TEXT,
    error_code INTEGER,
    error_title TEXT,
    pricing_category TEXT,
    pricing_model TEXT,
    pricing_type TEXT,
    conversation_id TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS message_states_status ON message_states (status);
"""
TIMELINE_COLUMNS = ("wamid", "status", "timestamp", "recipient_id", "recipient_user_id",
                    "phone_number_id", "error_code", "error_title", "errors", "pricing_category",
                    "pricing_model", "pricing_type", "conversation_id",
                    "biz_opaque_callback_data", "event_key", "recorded_at")
STATE_COLUMNS = ("wamid", "status", "status_timestamp", "first_timestamp", "recipient_id",
                 "recipient_user_id", "phone_number_id", "error_code", "error_title",
                 "pricing_category", "pricing_model", "pricing_type", "conversation_id",
                 "updated_at")
# Facts any status may carry; the first one seen is kept.
FILLED_IN = ("recipient_id", "recipient_user_id", "phone_number_id", "pricing_category",
             "pricing_model", "pricing_type", "conversation_id")


class StatusBook:
    """One connection, used from worker threads one at a time (hooks call it via to_thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OSError(f"cannot open the status database {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        self._conn = conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def record(self, entry: StatusEntry, now: float,
               on_new: Callable[[dict[str, Any]], None] = lambda line: None) -> bool:
        """Record ``entry`` once; ``on_new`` gets the JSON line of a first sighting before the
        commit, so a failure there leaves nothing recorded. Returns whether it was new."""
        if self._conn is None:
            raise RuntimeError("the status database is not open")
        conn = self._conn
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                new = _insert_timeline(conn, entry, now)
                if new:
                    _update_state(conn, entry, now)
                    on_new({**entry.as_dict(), "recorded_at": now})
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return new


def _insert_timeline(conn: sqlite3.Connection, entry: StatusEntry, now: float) -> bool:
    values = {**entry.as_dict(), "errors": json.dumps(list(entry.errors)),
              "event_key": entry.key, "recorded_at": now}
    cursor = conn.execute(
        f"INSERT INTO status_timeline ({', '.join(TIMELINE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(TIMELINE_COLUMNS))}) ON CONFLICT DO NOTHING",
        [values[c] for c in TIMELINE_COLUMNS])
    return cursor.rowcount == 1


def _update_state(conn: sqlite3.Connection, entry: StatusEntry, now: float) -> None:
    if entry.status not in KNOWN:
        return
    row = conn.execute("SELECT * FROM message_states WHERE wamid = ?", (entry.wamid,)).fetchone()
    state = dict(row) if row is not None else {"wamid": entry.wamid, "status": None}
    if supersedes(entry.status, state["status"]):
        state.update(status=entry.status, status_timestamp=entry.timestamp,
                     error_code=entry.error_code if entry.status == FAILED else None,
                     error_title=entry.error_title if entry.status == FAILED else None)
    for column in FILLED_IN:
        state[column] = state.get(column) or getattr(entry, column)
    firsts = [t for t in (state.get("first_timestamp"), entry.timestamp) if t is not None]
    state.update(first_timestamp=min(firsts) if firsts else None, updated_at=now)
    conn.execute(
        f"INSERT OR REPLACE INTO message_states ({', '.join(STATE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(STATE_COLUMNS))})",
        [state.get(c) for c in STATE_COLUMNS])


# -- reading (the CLI opens the database read-only) ------------------------------------------

def timeline(conn: sqlite3.Connection, wamid: str) -> list[dict[str, Any]]:
    """Every status recorded for ``wamid``, by timestamp (ties in status order)."""
    order = " ".join(f"WHEN '{s}' THEN {r}" for s, r in {**RANKS, FAILED: 9}.items())
    rows = conn.execute(
        f"SELECT * FROM status_timeline WHERE wamid = ? ORDER BY timestamp, "
        f"CASE status {order} ELSE 10 END, recorded_at", (wamid,)).fetchall()
    entries = [dict(row) for row in rows]
    for entry in entries:
        entry["errors"] = json.loads(entry["errors"])
    return entries


def current_state(conn: sqlite3.Connection, wamid: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM message_states WHERE wamid = ?", (wamid,)).fetchone()
    return dict(row) if row is not None else None


def summary(conn: sqlite3.Connection) -> dict[str, Any]:
    """Messages by current status, failed messages by error code, messages by pricing
    category; statuses outside the known ones are counted from the timeline."""

    def counts(sql: str) -> dict[str, int]:
        return {str(key): count for key, count in conn.execute(sql).fetchall()}

    by_status = counts("SELECT status, count(*) FROM message_states GROUP BY status")
    ordered = {s: by_status[s] for s in KNOWN if s in by_status}
    placeholders = ", ".join("?" * len(KNOWN))
    other = {status: count for status, count in conn.execute(
        f"SELECT status, count(*) FROM status_timeline WHERE status NOT IN ({placeholders}) "
        "GROUP BY status ORDER BY status", KNOWN).fetchall()}
    errors = conn.execute(
        "SELECT coalesce(error_code, 'unknown'), count(*), max(error_title) FROM message_states "
        "WHERE status = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    return {
        "messages": conn.execute("SELECT count(*) FROM message_states").fetchone()[0],
        "status_updates": conn.execute("SELECT count(*) FROM status_timeline").fetchone()[0],
        "by_status": ordered,
        "by_error_code": {str(code): count for code, count, _ in errors},
        "error_titles": {str(code): title for code, _, title in errors if title},
        "by_pricing_category": counts(
            "SELECT coalesce(pricing_category, 'none'), count(*) FROM message_states "
            "GROUP BY 1 ORDER BY 2 DESC, 1"),
        "other_statuses": other,
    }
