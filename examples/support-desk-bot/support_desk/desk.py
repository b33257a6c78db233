"""The desk: which customers are talking to a person, kept in SQLite so a restart keeps them,
and which relays were already sent, so that a retried event never relays twice."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS handoffs (
    customer TEXT PRIMARY KEY,
    name TEXT,
    opened_by TEXT NOT NULL,
    opened_at REAL NOT NULL,
    closed_by TEXT,
    closed_at REAL
);
CREATE TABLE IF NOT EXISTS relays (
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (message_id, recipient)
);
"""


@dataclass(frozen=True)
class Handoff:
    """A customer's conversation with the agents; ``opened_by`` and ``closed_by`` are the ids of
    the messages that opened and closed it."""

    customer: str
    name: str | None
    opened_by: str
    opened_at: float
    closed_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_by is None


class Desk:
    """One SQLite connection, used from worker threads one call at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def open(self) -> Desk:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(SCHEMA)
        return self

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        if self._conn is None:
            raise RuntimeError(f"the hand-off desk {self.path} is not open")
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def find(self, customer: str) -> Handoff | None:
        rows = self._run("SELECT customer, name, opened_by, opened_at, closed_by FROM handoffs "
                         "WHERE customer = ?", customer)
        return Handoff(*rows[0]) if rows else None

    def open_handoffs(self) -> list[Handoff]:
        rows = self._run("SELECT customer, name, opened_by, opened_at, closed_by FROM handoffs "
                         "WHERE closed_by IS NULL ORDER BY opened_at")
        return [Handoff(*row) for row in rows]

    def hand_off(self, customer: str, name: str | None, message_id: str) -> Handoff:
        """Open the customer's hand-off (again, if an earlier one was closed); an open one stays
        as it is."""
        self._run("INSERT INTO handoffs (customer, name, opened_by, opened_at) VALUES (?, ?, ?, ?)"
                  " ON CONFLICT (customer) DO UPDATE SET name = excluded.name, "
                  "opened_by = excluded.opened_by, opened_at = excluded.opened_at, "
                  "closed_by = NULL, closed_at = NULL WHERE handoffs.closed_by IS NOT NULL",
                  customer, name, message_id, time.time())
        found = self.find(customer)
        assert found is not None
        return found

    def close_handoff(self, customer: str, message_id: str) -> bool:
        """Close an open hand-off; False when there was none open."""
        self._run("UPDATE handoffs SET closed_by = ?, closed_at = ? "
                  "WHERE customer = ? AND closed_by IS NULL", message_id, time.time(), customer)
        found = self.find(customer)
        return found is not None and found.closed_by == message_id

    def relayed(self, message_id: str, recipient: str) -> bool:
        return bool(self._run("SELECT 1 FROM relays WHERE message_id = ? AND recipient = ?",
                              message_id, recipient))

    def note_relayed(self, message_id: str, recipient: str) -> None:
        self._run("INSERT OR IGNORE INTO relays (message_id, recipient, sent_at) VALUES (?, ?, ?)",
                  message_id, recipient, time.time())
