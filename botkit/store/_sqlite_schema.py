"""What is in the embedded store's file: the tables, the trigger-kept backlog counter, the
statements the store and its admin write with, and the start-up steps that create the schema
and count claims a stopped process left unfinished.

Kept apart from :class:`~botkit.store.sqlite.SQLiteStore` so that the file's layout reads in
one place and the store's module holds only what the store does with it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

# No index on ``key``: dedupe keys are indexed in bulk in ``dedupe_keys`` (``_sqlite_dedupe``).
EVENTS_TABLE = """CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    conversation TEXT NOT NULL,
    occurred_at INTEGER,
    received_at REAL NOT NULL,
    payload BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at REAL
)"""

SCHEMA = EVENTS_TABLE + """;
CREATE INDEX IF NOT EXISTS events_pending ON events (seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER NOT NULL,
    plugin TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (seq, plugin)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    reason TEXT NOT NULL,
    kind TEXT,
    key TEXT,
    seq INTEGER,
    payload BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'held'
);
"""

# The backlog (pending events) as one running number, kept by triggers so that every writer
# keeps it exact: the server's writer thread, the admin commands, anything else with a connection.
BACKLOG = """
CREATE TABLE IF NOT EXISTS backlog (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pending INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS backlog_insert AFTER INSERT ON events
WHEN new.state = 'pending' BEGIN
    UPDATE backlog SET pending = pending + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS backlog_update AFTER UPDATE OF state ON events
WHEN (old.state = 'pending') != (new.state = 'pending') BEGIN
    UPDATE backlog SET pending = pending + (new.state = 'pending') - (old.state = 'pending')
    WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS backlog_delete AFTER DELETE ON events
WHEN old.state = 'pending' BEGIN
    UPDATE backlog SET pending = pending - 1 WHERE id = 1;
END;
-- A store from before the counter: count once. The count only runs when the row is missing.
INSERT INTO backlog (id, pending)
SELECT 1, (SELECT count(*) FROM events WHERE state = 'pending')
WHERE NOT EXISTS (SELECT 1 FROM backlog);
"""

#: Only for rows whose keys are known to be new (see ``_sqlite_dedupe``).
INSERT_EVENT = (
    "INSERT INTO events (key, kind, conversation, occurred_at, received_at, payload) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
INSERT_QUARANTINE = (
    "INSERT INTO quarantine (received_at, reason, kind, key, seq, payload) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
UPSERT_DELIVERY = (
    "INSERT INTO deliveries (seq, plugin, state, attempts, error, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seq, plugin) DO UPDATE SET "
    "state = excluded.state, attempts = excluded.attempts, error = excluded.error, "
    "updated_at = excluded.updated_at"
)


#: Rows per multi-row statement: 6 values a row stays well under SQLite's 32,766 variables.
ROWS_PER_STATEMENT = 2000


def insert_events(conn: sqlite3.Connection, rows: Sequence[tuple]) -> int:
    """Insert event rows (the columns of :data:`INSERT_EVENT`) whose keys are new; returns the
    sequence number of the last (0: none). The rows are numbered one after the other
    (AUTOINCREMENT, nothing else inserts in between).

    One statement for many rows rather than ``executemany``: the sqlite3 module lets go of the
    GIL around every step, once per row, and on a busy server each step then waits for the
    event loop's thread to hand the GIL back. One step per statement takes that wait once.
    """
    head = INSERT_EVENT.partition(" VALUES ")[0]
    last = 0
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start:start + ROWS_PER_STATEMENT]
        values = ",".join(["(?,?,?,?,?,?)"] * len(chunk))
        flat = [value for row in chunk for value in row]
        last = conn.execute(f"{head} VALUES {values}", flat).lastrowid or 0
    return last


def finish_events(conn: sqlite3.Connection, states: Sequence[tuple[str, int, float, int]]
                  ) -> None:
    """``UPDATE events SET state, attempts, updated_at`` for ``(state, attempts, now, seq)``
    rows: one statement per (state, attempts) rather than one step per event (see
    :func:`insert_events` for why the number of steps matters)."""
    groups: dict[tuple[str, int, float], list[int]] = {}
    for state, attempts, now, seq in states:
        groups.setdefault((state, attempts, now), []).append(seq)
    for (state, attempts, now), seqs in groups.items():
        for start in range(0, len(seqs), ROWS_PER_STATEMENT):
            chunk = seqs[start:start + ROWS_PER_STATEMENT]
            conn.execute(f"UPDATE events SET state = ?, attempts = ?, updated_at = ? "
                         f"WHERE seq IN ({','.join(['?'] * len(chunk))})",
                         (state, attempts, now, *chunk))


CLAIMED_UPTO = (
    "INSERT INTO meta (name, value) VALUES ('claimed_upto', ?) "
    "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"
)


def create_schema(conn: sqlite3.Connection) -> None:
    """Create what is missing, counter included, in one write transaction: no other writer can
    change ``events`` between creating the triggers and counting the backlog of an older store."""
    try:
        conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}{BACKLOG}COMMIT;")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def count_interrupted_claims(conn: sqlite3.Connection) -> None:
    """At start-up: pending events at or below the last claim were handed out by a process that
    stopped before finishing them, so their next delivery is a redelivery (attempt > 1)."""
    row = conn.execute("SELECT value FROM meta WHERE name = 'claimed_upto'").fetchone()
    if row and row[0]:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE events SET attempts = attempts + 1 "
                     "WHERE state = 'pending' AND seq <= ?", (row[0],))
        conn.execute("UPDATE meta SET value = 0 WHERE name = 'claimed_upto'")
        conn.execute("COMMIT")
