"""Keeping the embedded store's file bounded: what is purged when, in small steps.

Each function here is one job for the store's writer thread and touches at most ``limit`` rows,
so a purge never holds the writer (and with it the webhook's commits) for more than a few
milliseconds at a time. A pass walks each table once, in key order, from a cursor the caller
keeps between steps:

- ``events`` (and their ``deliveries``, the per-plugin ledger): finished (``done``) events once
  the dedupe window is over; ``dead`` ones once the dead-letter retention is over as well;
  ``quarantined`` ones once the quarantine retention is over as well. Pending events are never
  touched, however old. On this store an event's row is its dedupe key.
- ``quarantine``: items past the quarantine retention.
- The conversation bookkeeping kept beside the event log, keyed by event key: ``handled`` and
  ``outbox`` rows whose event is gone and that are older than the dedupe window; fired and
  cancelled ``timers`` older than the window. Tables that do not exist are skipped.

Freed pages are given back to the file system by incremental vacuum, a bounded number of pages
per step, then a checkpoint moves the shrunken file out of the write-ahead log.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botkit.store._sqlite_dedupe import forget, seq_of

T = TypeVar("T")
Run = Callable[[Callable[[sqlite3.Connection], T]], Awaitable[T]]

#: Rows looked at per step; a step is one short transaction of the writer thread.
STEP_ROWS = 500
#: Pages given back to the file system per step (4 MiB with the default page size).
VACUUM_PAGES = 1000
INCREMENTAL = 2  # PRAGMA auto_vacuum value


@dataclass(frozen=True)
class Horizons:
    """Rows last changed before these times are past their retention."""

    dedupe: float
    dead_letters: float
    quarantine: float


Cursor = tuple[Any, ...] | None
#: ``IN`` over a JSON list of numbers given as the one parameter.
_LISTED = "(SELECT value FROM json_each(?))"


def enable_incremental_vacuum(conn: sqlite3.Connection) -> str | None:
    """Make the file one that gives freed pages back (``auto_vacuum = INCREMENTAL``).

    A new file gets the setting from :func:`botkit.store.sqlite.connect`, before its first
    table; a file made by an older botkit is rewritten once here (``VACUUM``), which takes a
    while on a big store and needs free space of about its size. Returns what was done, for the
    log (None: nothing to do). Runs outside a transaction.
    """
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL:
        return None
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    if not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        return None  # a new file: the setting takes effect with the first table
    conn.execute("VACUUM")
    return "rewrote the store file once so that purged space is given back (auto_vacuum)"


def bookkeeping_tables(conn: sqlite3.Connection) -> frozenset[str]:
    """Which of the conversation tables keyed by event exist in this file."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
                        "('handled', 'outbox', 'timers')").fetchall()
    return frozenset(row[0] for row in rows)


def purge_events(conn: sqlite3.Connection, horizons: Horizons, after: Cursor,
                 limit: int = STEP_ROWS, forgotten: Callable[[list[bytes]], None] | None = None
                 ) -> tuple[dict[str, int], Cursor]:
    """One step through the events received before the dedupe window, oldest first; their
    dedupe keys go with them (``forgotten`` is told their hashes: the server keeps its newest
    keys in memory)."""
    start = after or (float("-inf"), -1)
    rows = conn.execute(
        "SELECT seq, received_at, state, coalesce(updated_at, received_at) FROM events "
        "WHERE received_at < ? AND (received_at, seq) > (?, ?) ORDER BY received_at, seq "
        "LIMIT ?", (horizons.dedupe, *start, limit)).fetchall()
    doomed = [seq for seq, _, state, changed in rows
              if state == "done"
              or (state == "dead" and changed < horizons.dead_letters)
              or (state == "quarantined" and changed < horizons.quarantine)]
    counts = {"events": 0, "dead_letters": 0, "deliveries": 0}
    if doomed:
        seqs = (json.dumps(doomed),)
        counts["dead_letters"] = conn.execute(
            f"SELECT count(*) FROM deliveries WHERE state = 'dead' AND seq IN {_LISTED}",
            seqs).fetchone()[0]
        counts["deliveries"] = conn.execute(f"DELETE FROM deliveries WHERE seq IN {_LISTED}",
                                            seqs).rowcount
        hashes = forget(conn, [row[0] for row in conn.execute(
            f"SELECT key FROM events WHERE seq IN {_LISTED}", seqs)])
        if forgotten is not None:
            forgotten(hashes)
        counts["events"] = conn.execute(f"DELETE FROM events WHERE seq IN {_LISTED}",
                                        seqs).rowcount
    return counts, ((rows[-1][1], rows[-1][0]) if len(rows) == limit else None)


def purge_quarantine(conn: sqlite3.Connection, horizons: Horizons,
                     limit: int = STEP_ROWS) -> tuple[dict[str, int], bool]:
    """One step of quarantined items past their retention; True when there may be more."""
    deleted = conn.execute(
        "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE received_at < ? "
        "ORDER BY id LIMIT ?)", (horizons.quarantine, limit)).rowcount
    return {"quarantine": deleted}, deleted == limit


def purge_handled(conn: sqlite3.Connection, horizons: Horizons, after: Cursor,
                  limit: int = STEP_ROWS) -> tuple[dict[str, int], Cursor]:
    """One step through ``handled`` marks: those of purged events, past the window, go."""
    start = after or ("", "")
    rows = conn.execute(
        "SELECT event_key, plugin, handled_at FROM handled WHERE (event_key, plugin) > (?, ?) "
        "ORDER BY event_key, plugin LIMIT ?", (*start, limit)).fetchall()
    doomed = [(key, plugin) for key, plugin, at in rows
              if at < horizons.dedupe and not _event_exists(conn, key)]
    deleted = conn.executemany("DELETE FROM handled WHERE event_key = ? AND plugin = ?",
                               doomed).rowcount if doomed else 0
    return {"handled": deleted}, (tuple(rows[-1][:2]) if len(rows) == limit else None)


def purge_outbox(conn: sqlite3.Connection, horizons: Horizons, after: Cursor,
                 limit: int = STEP_ROWS) -> tuple[dict[str, int], Cursor]:
    """One step through outbox items: those of purged events, past the window, go."""
    start = after or ("", "", -1)
    rows = conn.execute(
        "SELECT event_key, plugin, idx, updated_at FROM outbox "
        "WHERE (event_key, plugin, idx) > (?, ?, ?) ORDER BY event_key, plugin, idx LIMIT ?",
        (*start, limit)).fetchall()
    doomed = [row[:3] for row in rows
              if row[3] < horizons.dedupe and not _event_exists(conn, row[0])]
    deleted = conn.executemany("DELETE FROM outbox WHERE event_key = ? AND plugin = ? "
                               "AND idx = ?", doomed).rowcount if doomed else 0
    return {"outbox": deleted}, (tuple(rows[-1][:3]) if len(rows) == limit else None)


def purge_timers(conn: sqlite3.Connection, horizons: Horizons, after: Cursor,
                 limit: int = STEP_ROWS) -> tuple[dict[str, int], Cursor]:
    """One step through timers: fired and cancelled ones older than the window go."""
    start = after or ("",)
    rows = conn.execute("SELECT id, state, updated_at FROM timers WHERE id > ? ORDER BY id "
                        "LIMIT ?", (*start, limit)).fetchall()
    doomed = [(timer_id,) for timer_id, state, at in rows
              if state in ("fired", "cancelled") and at < horizons.dedupe]
    deleted = conn.executemany("DELETE FROM timers WHERE id = ?", doomed).rowcount \
        if doomed else 0
    return {"timers": deleted}, ((rows[-1][0],) if len(rows) == limit else None)


def _event_exists(conn: sqlite3.Connection, key: str) -> bool:
    return seq_of(conn, key) is not None


def vacuum_step(conn: sqlite3.Connection, pages: int = VACUUM_PAGES) -> int:
    """Give up to ``pages`` free pages back to the file system; returns how many are left.

    ``PRAGMA incremental_vacuum(N)`` run through Python frees a single page per statement, so
    the statement is repeated instead.
    """
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != INCREMENTAL:
        return int(free)  # a file from before incremental vacuum: nothing to give back yet
    for _ in range(min(free, pages)):
        conn.execute("PRAGMA incremental_vacuum(1)").fetchall()
    return int(conn.execute("PRAGMA freelist_count").fetchone()[0])


def checkpoint(conn: sqlite3.Connection) -> bool:
    """Copy the log into the file and shorten both, unless a reader is in the way right now
    (no waiting: the writer thread must not stall). True when it completed."""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        conn.execute("PRAGMA busy_timeout = 1000")
    return not busy


Walk = Callable[[sqlite3.Connection, Horizons, Cursor], tuple[dict[str, int], Cursor]]


async def purge_pass(run: Run[Any], run_alone: Run[Any], horizons: Horizons, *,
                     pause: float = 0.0,
                     forgotten: Callable[[list[bytes]], None] | None = None) -> dict[str, int]:
    """One full pass, step by step (``run`` puts a job on the writer thread; ``run_alone``
    runs one outside any transaction), ``pause`` seconds between steps; ``forgotten`` as for
    :func:`purge_events`. Returns the rows purged by kind and ``pages_freed``."""
    totals: Counter[str] = Counter()

    async def walk(step: Walk) -> None:
        cursor: Cursor = None
        while True:
            def one_step(conn: sqlite3.Connection, at: Cursor = cursor
                         ) -> tuple[dict[str, int], Cursor]:
                return step(conn, horizons, at)

            counts, cursor = await run(one_step)
            totals.update(counts)
            if cursor is None:
                return
            await asyncio.sleep(pause)

    await walk(lambda conn, at_horizons, at: purge_events(conn, at_horizons, at,
                                                          forgotten=forgotten))
    more = True
    while more:
        counts, more = await run(lambda conn: purge_quarantine(conn, horizons))
        totals.update(counts)
        await asyncio.sleep(pause)
    tables = await run(bookkeeping_tables)
    for name, step in (("handled", purge_handled), ("outbox", purge_outbox),
                       ("timers", purge_timers)):
        if name in tables:
            await walk(step)
    before = await run(lambda conn: conn.execute("PRAGMA freelist_count").fetchone()[0])
    left = before
    while left:
        still = await run(vacuum_step)
        if still >= left:
            break
        left = still
        await asyncio.sleep(pause)
    totals["pages_freed"] = before - left
    if totals["pages_freed"]:
        await run_alone(checkpoint)
    return {name: count for name, count in totals.items() if count}
