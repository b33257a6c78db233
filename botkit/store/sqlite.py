"""The embedded store: SQLite in WAL mode behind a group-commit writer thread.

The tables and statements are in ``_sqlite_schema``, opening the file in ``_sqlite_connect``,
the dedupe keys in ``_sqlite_dedupe``; what is purged when, and how the file gives the space
back, in ``_sqlite_purge``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from botkit.errors import StoreError
from botkit.store._sqlite_connect import connect, run_in_own_transaction, sqlite_path
from botkit.store._sqlite_dedupe import ensure_layout
from botkit.store._sqlite_dedupe_tails import DedupeTails
from botkit.store._sqlite_handout import HandOuts
from botkit.store._sqlite_purge import Horizons, enable_incremental_vacuum, purge_pass
from botkit.store._sqlite_schema import (
    BACKLOG,
    CLAIMED_UPTO,
    EVENTS_TABLE,
    INSERT_EVENT,
    INSERT_QUARANTINE,
    SCHEMA,
    UPSERT_DELIVERY,
    count_interrupted_claims,
    create_schema,
    finish_events,
    insert_events,
)
from botkit.store._writer import GroupCommitWriter
from botkit.store.base import Store
from botkit.store.records import AppendResult, Delivery, EventRecord, Reject, StoredEvent

T = TypeVar("T")
log = logging.getLogger("botkit.store")
DAY = 86400.0

__all__ = ["BACKLOG", "CLAIMED_UPTO", "INSERT_EVENT", "INSERT_QUARANTINE", "SCHEMA",
           "UPSERT_DELIVERY", "SQLiteStore", "connect", "run_in_own_transaction", "sqlite_path"]


class SQLiteStore(Store):
    """One process owns the file (a lock file says so); other processes may read it."""

    def __init__(self, url: str, *, durability: str = "full", dedupe_seconds: float = 8 * DAY,
                 quarantine_seconds: float = 30 * DAY, dead_letter_seconds: float = 30 * DAY,
                 clock=time.time) -> None:
        self.path = sqlite_path(url)
        self.durability = durability
        self.dedupe_seconds = dedupe_seconds
        self.quarantine_seconds = quarantine_seconds
        self.dead_letter_seconds = dead_letter_seconds
        self.clock = clock
        self._writer: GroupCommitWriter | None = None
        self._lock_fd: int | None = None
        self._cursor = 0
        self._out = HandOuts()
        self._dedupe = DedupeTails()

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {self.path.parent}: {exc}") from exc
        self._lock()
        self._writer = GroupCommitWriter(self._connect, self._before_commit,
                                         self._transaction_done,
                                         job_started=self._dedupe.job_started,
                                         job_failed=self._dedupe.job_failed)
        try:
            await asyncio.to_thread(self._writer.start)
        except sqlite3.Error as exc:
            self._unlock()
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = connect(self.path, self.durability)
        try:
            done = enable_incremental_vacuum(conn)
        except sqlite3.Error as exc:  # e.g. no room for the copy: try again at the next start
            log.warning("cannot switch %s to incremental vacuum yet: %s", self.path, exc)
        else:
            if done:
                log.info("%s: %s", self.path, done)
        create_schema(conn)
        changed = ensure_layout(conn, EVENTS_TABLE)
        if changed:
            create_schema(conn)  # the rebuilt table's indexes and triggers
            log.info("%s: %s", self.path, changed)
        count_interrupted_claims(conn)
        self._dedupe.load(conn)
        return conn

    def _before_commit(self, conn: sqlite3.Connection) -> None:
        self._out.before_commit(conn)
        self._dedupe.before_commit(conn)

    def _transaction_done(self, committed: bool) -> None:
        self._out.transaction_done(committed)
        self._dedupe.transaction_done(committed)

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
            if not self._out:  # a clean stop: nothing handed out is left unfinished
                with contextlib.suppress(StoreError):
                    await self._run(lambda conn: conn.execute(
                        "UPDATE meta SET value = 0 WHERE name = 'claimed_upto'"))
            await asyncio.to_thread(self._writer.stop)
            self._writer = None
        self._unlock()

    async def _run(self, job, *, alone: bool = False):
        if self._writer is None:
            raise StoreError("the store is not open")
        try:
            return await self._writer.submit(job, alone=alone)
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                raise StoreError(f"the disk of the store {self.path} is full ({exc}); "
                                 "free some space") from exc
            raise StoreError(f"store write failed: {exc}") from exc

    async def run_job(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` on the writer's connection inside its transaction: how modules that keep
        their own tables in this file (conversations) write atomically with the event log."""
        return await self._run(job)

    async def append(self, records: list[EventRecord], rejects: list[Reject] = (), *,
                     hand_out: bool = False) -> AppendResult:
        now = self.clock()
        rows = [(r.key, r.kind, r.conversation, r.occurred_at, now, r.payload) for r in records]
        held = [(now, r.reason, "body", None, None, r.fragment) for r in rejects]
        out = self._out

        def job(conn: sqlite3.Connection) -> tuple[int, list[StoredEvent]]:
            if held:
                conn.executemany(INSERT_QUARANTINE, held)
            new, last = self.insert_new_events(conn, rows)
            if not hand_out or not new:
                return len(new), []
            return len(new), out.hand_out([records[i] for i in new], last, now)

        accepted, fresh = await self._run(job)
        if fresh:  # everything up to these is out or finished: claims look above them
            self._cursor = max(self._cursor, fresh[-1].seq)
        return AppendResult(accepted=accepted, duplicates=len(rows) - accepted, fresh=fresh)

    def insert_new_events(self, conn: sqlite3.Connection, rows: list[tuple]
                          ) -> tuple[list[int], int]:
        """Insert the event rows (``INSERT_EVENT``'s columns) whose keys no stored event has,
        from a job on the writer's connection: their positions in ``rows`` and the sequence
        number of the last (0: none)."""
        if not rows:
            return [], 0
        new, hashes = self._dedupe.new_keys(conn, [row[0] for row in rows])
        if not new:
            return [], 0
        last = insert_events(conn, [rows[i] for i in new] if len(new) < len(rows) else rows)
        self._dedupe.inserted(hashes, last)
        return new, last

    async def quarantine(self, reason: str, body: bytes) -> None:
        row = (self.clock(), reason, "body", None, None, body)
        await self._run(lambda conn: conn.execute(INSERT_QUARANTINE, row))

    async def claim(self, limit: int) -> list[StoredEvent]:
        cursor, out = self._cursor, self._out

        def job(conn: sqlite3.Connection) -> list[StoredEvent]:
            # What is out is read here, in the writer thread: an append just before this claim
            # may have handed its events out.
            inflight = out.out()
            rows = conn.execute(
                "SELECT seq, key, kind, conversation, payload, attempts FROM events "
                "WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?",
                (cursor, limit + len(inflight)),
            ).fetchall()
            rows = [row for row in rows if row[0] not in inflight][:limit]
            out.claimed(conn, [row[0] for row in rows], exhausted=len(rows) < limit)
            if not rows:
                return []
            seqs = [row[0] for row in rows]
            # One row, not one per event: after a crash, everything pending up to here was
            # handed out before (see count_interrupted_claims).
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
            finish_events(conn, states)
            if rows:
                conn.executemany(UPSERT_DELIVERY, rows)

        try:
            await self._run(job)
        finally:
            self._out.settled(event.seq for event, _, _ in items)

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
            self._out.settled([event.seq])

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

    async def purge(self, now: float, *, pause: float = 0.0) -> dict[str, int]:
        """Purge, in small steps, what is past its retention (see ``_sqlite_purge``) and give
        the space back to the file system."""
        horizons = Horizons(dedupe=now - self.dedupe_seconds,
                            dead_letters=now - self.dead_letter_seconds,
                            quarantine=now - self.quarantine_seconds)
        return await purge_pass(self._run, lambda job: self._run(job, alone=True), horizons,
                                pause=pause, forgotten=self._dedupe.forget)
