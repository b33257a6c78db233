"""The embedded store: SQLite in WAL mode behind a group-commit writer thread."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from botkit.errors import StoreError
from botkit.store._writer import GroupCommitWriter
from botkit.store.base import Store
from botkit.store.records import AppendResult, Delivery, EventRecord, Reject, StoredEvent

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    conversation TEXT NOT NULL,
    occurred_at INTEGER,
    received_at REAL NOT NULL,
    payload BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at REAL
);
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

INSERT_EVENT = (
    "INSERT INTO events (key, kind, conversation, occurred_at, received_at, payload) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING"
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


CLAIMED_UPTO = (
    "INSERT INTO meta (name, value) VALUES ('claimed_upto', ?) "
    "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"
)


def _create_schema(conn: sqlite3.Connection) -> None:
    """Create what is missing, counter included, in one write transaction: no other writer can
    change ``events`` between creating the triggers and counting the backlog of an older store."""
    try:
        conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}{BACKLOG}COMMIT;")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _count_interrupted_claims(conn: sqlite3.Connection) -> None:
    """At start-up: pending events at or below the last claim were handed out by a process that
    stopped before finishing them, so their next delivery is a redelivery (attempt > 1)."""
    row = conn.execute("SELECT value FROM meta WHERE name = 'claimed_upto'").fetchone()
    if row and row[0]:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE events SET attempts = attempts + 1 "
                     "WHERE state = 'pending' AND seq <= ?", (row[0],))
        conn.execute("UPDATE meta SET value = 0 WHERE name = 'claimed_upto'")
        conn.execute("COMMIT")


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/path.db`` (from the working folder) or ``sqlite:////abs/path.db``."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc not in ("", "localhost") or not parts.path[1:]:
        raise StoreError(f"not a sqlite URL: {url!r} (expected sqlite:///path/to/file.db)")
    return Path(parts.path[1:])


def connect(path: Path, durability: str = "full") -> sqlite3.Connection:
    """A connection with botkit's pragmas: WAL, the chosen fsync policy, a short busy wait."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 1000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durability == 'full' else 'NORMAL'}")
    return conn


class SQLiteStore(Store):
    """One process owns the file (a lock file says so); other processes may read it."""

    def __init__(self, url: str, *, durability: str = "full", dedupe_seconds: float = 8 * 86400,
                 clock=time.time) -> None:
        self.path = sqlite_path(url)
        self.durability = durability
        self.dedupe_seconds = dedupe_seconds
        self.clock = clock
        self._writer: GroupCommitWriter | None = None
        self._lock_fd: int | None = None
        self._cursor = 0
        self._inflight: set[int] = set()

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {self.path.parent}: {exc}") from exc
        self._lock()
        self._writer = GroupCommitWriter(self._connect)
        try:
            await asyncio.to_thread(self._writer.start)
        except sqlite3.Error as exc:
            self._unlock()
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = connect(self.path, self.durability)
        _create_schema(conn)
        _count_interrupted_claims(conn)
        return conn

    def _lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"another botkit process is using {self.path}; run one server per SQLite store "
                "(use a redis:// store to run several)"
            ) from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    async def close(self) -> None:
        if self._writer is not None:
            if not self._inflight:  # a clean stop: nothing handed out is left unfinished
                with contextlib.suppress(StoreError):
                    await self._run(lambda conn: conn.execute(
                        "UPDATE meta SET value = 0 WHERE name = 'claimed_upto'"))
            await asyncio.to_thread(self._writer.stop)
            self._writer = None
        self._unlock()

    async def _run(self, job):
        if self._writer is None:
            raise StoreError("the store is not open")
        try:
            return await self._writer.submit(job)
        except sqlite3.Error as exc:
            raise StoreError(f"store write failed: {exc}") from exc

    async def run_job(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` on the writer's connection inside its transaction: how modules that keep
        their own tables in this file (conversations) write atomically with the event log."""
        return await self._run(job)

    async def append(self, records: list[EventRecord], rejects: list[Reject] = ()) -> AppendResult:
        now = self.clock()
        rows = [(r.key, r.kind, r.conversation, r.occurred_at, now, r.payload) for r in records]
        held = [(now, r.reason, "body", None, None, r.fragment) for r in rejects]

        def job(conn: sqlite3.Connection) -> int:
            accepted = conn.executemany(INSERT_EVENT, rows).rowcount if rows else 0
            if held:
                conn.executemany(INSERT_QUARANTINE, held)
            return accepted

        accepted = await self._run(job)
        return AppendResult(accepted=accepted, duplicates=len(rows) - accepted)

    async def quarantine(self, reason: str, body: bytes) -> None:
        row = (self.clock(), reason, "body", None, None, body)
        await self._run(lambda conn: conn.execute(INSERT_QUARANTINE, row))

    async def claim(self, limit: int) -> list[StoredEvent]:
        cursor, inflight = self._cursor, frozenset(self._inflight)

        def job(conn: sqlite3.Connection) -> list[StoredEvent]:
            rows = conn.execute(
                "SELECT seq, key, kind, conversation, payload, attempts FROM events "
                "WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?",
                (cursor, limit + len(inflight)),
            ).fetchall()
            rows = [row for row in rows if row[0] not in inflight][:limit]
            if not rows:
                return []
            seqs = [row[0] for row in rows]
            # One row, not one per event: after a crash, everything pending up to here was
            # handed out before (see _count_interrupted_claims).
            conn.execute(CLAIMED_UPTO, (max(seqs),))
            settled: dict[int, set[str]] = {}
            in_doubt: dict[int, set[str]] = {}
            for seq, plugin, state in conn.execute(
                "SELECT seq, plugin, state FROM deliveries WHERE seq BETWEEN ? AND ? "
                "AND state IN ('done', 'dead', 'sending')", (seqs[0], seqs[-1]),
            ):
                (in_doubt if state == "sending" else settled).setdefault(seq, set()).add(plugin)
            return [
                StoredEvent(seq, key, kind, conv, payload, attempts + 1,
                            frozenset(settled.get(seq, ())),
                            in_doubt=frozenset(in_doubt.get(seq, ())))
                for seq, key, kind, conv, payload, attempts in rows
            ]

        events = await self._run(job)
        for event in events:
            self._inflight.add(event.seq)
        if events:
            self._cursor = max(self._cursor, events[-1].seq)
        return events

    def rewind(self) -> None:
        """Look again from the start for pending events (a replay may have added some)."""
        self._cursor = 0

    async def settle(self, event: StoredEvent, state: str, deliveries: list[Delivery]) -> None:
        await self.settle_many([(event, state, deliveries)])

    async def settle_many(self, items: list[tuple[StoredEvent, str, list[Delivery]]]) -> None:
        now = self.clock()
        states = [(state, event.attempt, now, event.seq) for event, state, _ in items]
        rows = [(event.seq, d.plugin, d.state, d.attempts, d.error, now)
                for event, _, deliveries in items for d in deliveries]

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE events SET state = ?, attempts = ?, updated_at = ? WHERE seq = ?", states)
            if rows:
                conn.executemany(UPSERT_DELIVERY, rows)

        try:
            await self._run(job)
        finally:
            for event, _, _ in items:
                self._inflight.discard(event.seq)

    async def record_delivery(self, event: StoredEvent, delivery: Delivery) -> None:
        row = (event.seq, delivery.plugin, delivery.state, delivery.attempts, delivery.error,
               self.clock())
        await self._run(lambda conn: conn.execute(UPSERT_DELIVERY, row))

    async def quarantine_event(self, event: StoredEvent, reason: str) -> None:
        now = self.clock()

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE events SET state = 'quarantined', updated_at = ? WHERE seq = ?",
                         (now, event.seq))
            conn.execute(INSERT_QUARANTINE,
                         (now, reason, event.kind, event.key, event.seq, event.payload))

        try:
            await self._run(job)
        finally:
            self._inflight.discard(event.seq)

    async def ping(self) -> None:
        await self._run(lambda conn: conn.execute("SELECT 1").fetchone())

    async def pending_count(self) -> int:
        """The trigger-kept counter: one row to read however long the backlog is."""
        return await self._run(lambda conn: conn.execute(
            "SELECT pending FROM backlog WHERE id = 1").fetchone()[0])

    async def oldest_pending(self) -> float | None:
        row = await self._run(lambda conn: conn.execute(
            "SELECT received_at FROM events WHERE state = 'pending' ORDER BY seq LIMIT 1"
        ).fetchone())
        return row[0] if row else None

    async def purge_expired(self, now: float) -> int:
        horizon = now - self.dedupe_seconds

        def job(conn: sqlite3.Connection) -> int:
            conn.execute(
                "DELETE FROM deliveries WHERE seq IN (SELECT seq FROM events "
                "WHERE received_at < ? AND state = 'done')", (horizon,),
            )
            return conn.execute(
                "DELETE FROM events WHERE received_at < ? AND state = 'done'", (horizon,)
            ).rowcount

        return await self._run(job)
