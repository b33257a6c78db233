"""The embedded store: group commit, dedupe, claims that survive restarts, the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest

from botkit import StoreError
from botkit.store.records import Delivery, EventRecord, Reject
from botkit.store.sqlite import SQLiteStore
from botkit.store.sqlite_admin import EventFilter, SQLiteAdmin


def record(n: int, conversation: str = "c") -> EventRecord:
    return EventRecord(f"message:wamid.{n}", "message", conversation, 1, b'{"item":{}}')


@pytest.fixture
async def store(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path / 'db' / 'botkit.db'}")
    await store.open()
    yield store
    await store.close()


async def test_concurrent_appends_commit_each_key_once(store):
    results = await asyncio.gather(*[store.append([record(n % 150)]) for n in range(300)])
    assert sum(r.accepted for r in results) == 150
    assert sum(r.duplicates for r in results) == 150
    assert await store.pending_count() == 150


async def test_duplicates_within_one_request_are_counted(store):
    result = await store.append([record(1), record(1), record(2)],
                                [Reject("bad change", b"{}")])
    assert (result.accepted, result.duplicates) == (2, 1)


async def test_claims_count_attempts_and_survive_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'botkit.db'}"
    store = SQLiteStore(url)
    await store.open()
    await store.append([record(n) for n in range(5)])
    first = await store.claim(3)
    assert [e.key for e in first] == [f"message:wamid.{n}" for n in (0, 1, 2)]
    assert [e.attempt for e in first] == [1, 1, 1]
    second = await store.claim(10)
    assert [e.key for e in second] == [f"message:wamid.{n}" for n in (3, 4)]
    assert [e.attempt for e in second] == [1, 1]
    assert await store.claim(10) == []
    store.rewind()  # dispatch looks again from the start every few seconds (replays)
    assert await store.claim(10) == []  # still in flight: not handed out a second time
    await store.record_delivery(first[0], Delivery("crm", "done", 1))
    await store.settle(first[1], "done", [])
    await store.close()  # as if the process died with the rest in flight

    store = SQLiteStore(url)
    await store.open()
    again = await store.claim(10)
    assert [e.key for e in again] == [f"message:wamid.{n}" for n in (0, 2, 3, 4)]
    assert {e.attempt for e in again} == {2}
    assert again[0].settled_plugins == {"crm"}
    await store.close()


async def test_one_process_per_store(store, tmp_path):
    other = SQLiteStore(f"sqlite:///{tmp_path / 'db' / 'botkit.db'}")
    with pytest.raises(StoreError, match="another botkit process"):
        await other.open()


async def test_quarantined_events_are_not_pending(store):
    await store.append([record(1)])
    [event] = await store.claim(1)
    await store.quarantine_event(event, "$.id: missing")
    assert await store.pending_count() == 0


async def test_purge_forgets_only_finished_events_past_the_window(tmp_path):
    now = [1_000_000.0]
    store = SQLiteStore(f"sqlite:///{tmp_path / 'botkit.db'}", dedupe_seconds=100,
                        clock=lambda: now[0])
    await store.open()
    await store.append([record(1), record(2), record(3)])
    claimed = await store.claim(3)
    await store.settle(claimed[0], "done", [])
    await store.settle(claimed[1], "dead", [Delivery("crm", "dead", 5, "boom")])
    now[0] += 101
    assert await store.purge_expired(now[0]) == 1
    assert (await store.append([record(1)])).accepted == 1  # forgotten: new again
    assert (await store.append([record(2)])).duplicates == 1  # dead letters are kept
    await store.close()


def test_bad_urls_are_refused():
    with pytest.raises(StoreError, match="not a sqlite URL"):
        SQLiteStore("sqlite://host/x.db")


# -- the backlog counter ----------------------------------------------------------------------

OLD_EVENTS_TABLE = """
CREATE TABLE events (
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
CREATE INDEX events_pending ON events (seq) WHERE state = 'pending';
CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def counted(path) -> int:
    """The backlog as a full count, to check the counter against."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(*) FROM events WHERE state = 'pending'").fetchone()[0]


async def test_the_counter_follows_appends_settles_quarantine_and_purge(tmp_path):
    path = tmp_path / "botkit.db"
    now = [1_000_000.0]
    store = SQLiteStore(f"sqlite:///{path}", dedupe_seconds=100, clock=lambda: now[0])
    await store.open()
    assert await store.pending_count() == counted(path) == 0
    await store.append([record(n) for n in range(6)] + [record(0)])  # one duplicate
    assert await store.pending_count() == counted(path) == 6
    await store.append([record(n) for n in range(3)])  # all duplicates
    assert await store.pending_count() == counted(path) == 6

    first, second, third, fourth = await store.claim(4)
    await store.settle(first, "done", [])
    await store.settle_many([(second, "dead", [Delivery("crm", "dead", 5, "boom")]),
                             (third, "done", [])])
    assert await store.pending_count() == counted(path) == 3
    await store.quarantine_event(fourth, "$.id: missing")
    assert await store.pending_count() == counted(path) == 2

    await store.append([record(9)])
    now[0] += 101
    assert await store.purge_expired(now[0]) == 2  # the two done events go, none pending
    assert await store.pending_count() == counted(path) == 3
    await store.close()


async def test_the_counter_follows_admin_repairs(tmp_path):
    path = tmp_path / "botkit.db"
    url = f"sqlite:///{path}"
    store = SQLiteStore(url)
    await store.open()
    await store.append([record(n) for n in range(5)])
    done, dead, held, _, _ = await store.claim(5)
    await store.settle(done, "done", [Delivery("crm", "done", 1)])
    await store.settle(dead, "dead", [Delivery("crm", "dead", 5, "boom")])
    await store.quarantine_event(held, "$.id: missing")
    assert await store.pending_count() == counted(path) == 2

    admin = SQLiteAdmin(url)  # its own connection, as the CLI has, while the server runs
    try:
        assert admin.replay(EventFilter(keys=(done.key,))) == 1
        assert await store.pending_count() == counted(path) == 3
        assert admin.retry_dead() == 1
        assert await store.pending_count() == counted(path) == 4
        assert admin.reprocess() == (1, 0)
        assert await store.pending_count() == counted(path) == 5
        assert admin.replay(EventFilter(keys=(done.key,))) == 1  # pending already: no change
        assert await store.pending_count() == counted(path) == 5
    finally:
        admin.close()
    await store.close()


async def test_a_store_from_before_the_counter_is_counted_on_open(tmp_path):
    path = tmp_path / "botkit.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(OLD_EVENTS_TABLE)
        conn.executemany(
            "INSERT INTO events (key, kind, conversation, received_at, payload, state) "
            "VALUES (?, 'message', 'c', 0, x'7b7d', ?)",
            [(f"old.{n}", state) for n, state in
             enumerate(["pending", "done", "pending", "dead", "quarantined", "pending"])])
    store = SQLiteStore(f"sqlite:///{path}")
    await store.open()
    assert await store.pending_count() == 3
    await store.append([record(1), record(2)])  # the triggers are in place too
    [event, *_] = await store.claim(1)
    await store.settle(event, "done", [])
    assert await store.pending_count() == counted(path) == 4
    await store.close()


async def test_reopening_reads_the_counter_without_counting_again(tmp_path):
    path = tmp_path / "botkit.db"
    store = SQLiteStore(f"sqlite:///{path}")
    await store.open()
    await store.append([record(n) for n in range(3)])
    await store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE backlog SET pending = 42")  # visible only if nothing recounts

    store = SQLiteStore(f"sqlite:///{path}")
    await store.open()
    assert await store.pending_count() == 42
    await store.close()


async def test_the_counter_follows_writes_from_any_connection(store):
    await store.append([record(n) for n in range(4)])
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("INSERT INTO events (key, kind, conversation, received_at, payload, state) "
                     "VALUES ('by.hand', 'message', 'c', 0, x'7b7d', 'done')")
        conn.execute("UPDATE events SET state = 'dead' WHERE key = 'by.hand'")
        conn.execute("DELETE FROM events WHERE key IN (?, ?)", (record(0).key, "by.hand"))
    assert await store.pending_count() == counted(store.path) == 3


async def test_purging_dead_letters_finishes_an_event_once_no_plugin_is_dead(tmp_path):
    url = f"sqlite:///{tmp_path / 'botkit.db'}"
    store = SQLiteStore(url)
    await store.open()
    await store.append([record(1)])
    [event] = await store.claim(1)
    await store.settle(event, "dead", [Delivery("crm", "dead", 3, "down"),
                                       Delivery("mailer", "dead", 3, "down")])
    admin = SQLiteAdmin(url)
    try:
        assert admin.purge_dead(plugin="crm") == 1
        [row] = admin.events(EventFilter())
        assert (row["state"], [d["plugin"] for d in row["deliveries"]]) == ("dead", ["mailer"])
        assert admin.purge_dead() == 1
        [row] = admin.events(EventFilter())
        assert (row["state"], row["deliveries"]) == ("done", [])
    finally:
        admin.close()
        await store.close()
