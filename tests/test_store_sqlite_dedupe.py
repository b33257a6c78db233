"""The embedded store's dedupe keys: the newest in memory, the rest indexed in bulk.

Whatever the path a key took (still in memory, merged into ``dedupe_keys``, read back after a
restart, added by another process, purged), an event is stored once per key, and only a key
whose event is really stored blocks a later one.
"""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from botkit.store import _sqlite_dedupe_tails
from botkit.store._sqlite_dedupe import (
    SLICES,
    ensure_layout,
    insert_new_aside,
    key_hash,
    known_keys,
    merged_marks,
    seq_of,
)
from botkit.store._sqlite_dedupe_tails import DedupeTails
from botkit.store._sqlite_schema import EVENTS_TABLE, create_schema
from botkit.store.records import EventRecord
from botkit.store.sqlite import SQLiteStore, connect
from botkit.store.sqlite_admin import SQLiteAdmin


def record(n: int) -> EventRecord:
    return EventRecord(f"status:wamid.{n:08d}:sent", "status", f"p:{n % 7}", 1, b"{}")


def rows(path, sql: str, args=()) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture
def small_merges(monkeypatch):
    """Merge a slice once it has 8 new keys, so that a test sees merges happen."""
    monkeypatch.setattr(_sqlite_dedupe_tails, "MIN_MERGE", 8)


async def opened(path) -> SQLiteStore:
    store = SQLiteStore(f"sqlite:///{path}")
    await store.open()
    return store


async def test_keys_merged_into_the_index_still_stop_duplicates(tmp_path, small_merges):
    path = tmp_path / "botkit.db"
    store = await opened(path)
    try:
        first = await store.append([record(n) for n in range(400)])
        assert first.accepted == 400
        merged = rows(path, "SELECT count(*) FROM dedupe_keys")[0][0]
        assert merged > 200  # most slices went over 8 keys and were merged
        assert len(store._dedupe) == 400 - merged
        again = await store.append([record(n) for n in range(390, 410)])
        assert (again.accepted, again.duplicates) == (10, 10)
    finally:
        await store.close()
    assert rows(path, "SELECT count(*), count(DISTINCT key) FROM events") == [(410, 410)]


async def test_keys_not_merged_yet_survive_a_restart(tmp_path):
    path = tmp_path / "botkit.db"
    store = await opened(path)
    await store.append([record(n) for n in range(50)])
    await store.close()
    assert rows(path, "SELECT count(*) FROM dedupe_keys") == [(0,)]  # all still in memory
    store = await opened(path)
    try:
        assert len(store._dedupe) == 50  # read back from the events table
        again = await store.append([record(n) for n in range(45, 55)])
        assert (again.accepted, again.duplicates) == (5, 5)
    finally:
        await store.close()


async def test_a_merge_survives_a_restart(tmp_path, small_merges):
    path = tmp_path / "botkit.db"
    store = await opened(path)
    await store.append([record(n) for n in range(300)])
    await store.close()
    store = await opened(path)
    try:
        merged = rows(path, "SELECT count(*) FROM dedupe_keys")[0][0]
        assert merged and len(store._dedupe) == 300 - merged
        again = await store.append([record(n) for n in range(300)])
        assert (again.accepted, again.duplicates) == (0, 300)
    finally:
        await store.close()


async def test_events_another_process_added_are_known_to_the_server(tmp_path):
    path = tmp_path / "botkit.db"
    store = await opened(path)
    try:
        await store.append([record(1)])
        with contextlib.closing(connect(path)) as aside:
            aside.execute("BEGIN IMMEDIATE")
            assert insert_new_aside(aside, [(record(n).key, "status", "p:x", 1, 0.0, b"{}")
                                            for n in (1, 2, 3)]) == 2
            aside.execute("COMMIT")
        again = await store.append([record(n) for n in (2, 3, 4)])
        assert (again.accepted, again.duplicates) == (1, 2)
    finally:
        await store.close()
    assert rows(path, "SELECT count(*), count(DISTINCT key) FROM events") == [(4, 4)]


async def test_a_job_that_fails_after_inserting_leaves_no_key_behind(tmp_path):
    path = tmp_path / "botkit.db"
    store = await opened(path)
    try:
        def failing(conn: sqlite3.Connection) -> None:
            new, _ = store.insert_new_events(conn, [(record(7).key, "status", "p:x", 1, 0.0,
                                                     b"{}")])
            assert new == [0]
            raise RuntimeError("after the insert")

        with pytest.raises(RuntimeError):
            await store.run_job(failing)
        assert rows(path, "SELECT count(*) FROM events") == [(0,)]
        assert (await store.append([record(7)])).accepted == 1  # not taken for a duplicate
    finally:
        await store.close()


def test_a_transaction_that_rolls_back_takes_its_keys_and_merges_with_it(tmp_path,
                                                                         small_merges):
    path = tmp_path / "botkit.db"
    conn = connect(path)
    try:
        create_schema(conn)
        ensure_layout(conn, EVENTS_TABLE)
        tails = DedupeTails()
        tails.load(conn)
        keys = [record(n).key for n in range(200)]
        conn.execute("BEGIN IMMEDIATE")
        tails.job_started()
        new, hashes = tails.new_keys(conn, keys)
        conn.execute("INSERT INTO events (key, kind, conversation, received_at, payload) "
                     "VALUES " + ",".join(["(?, 'status', 'p', 0, x'')"] * len(new)), keys)
        tails.inserted(hashes, conn.execute("SELECT max(seq) FROM events").fetchone()[0])
        tails.before_commit(conn)  # merges slices over 8 keys
        assert conn.execute("SELECT count(*) FROM dedupe_keys").fetchone()[0] > 0
        conn.execute("ROLLBACK")
        tails.transaction_done(False)
        assert len(tails) == 0
        assert tails.new_keys(conn, keys)[0] == list(range(200))  # every key is new again
    finally:
        conn.close()


async def test_an_older_store_is_rebuilt_without_its_unique_index(tmp_path):
    path = tmp_path / "botkit.db"
    with contextlib.closing(sqlite3.connect(path)) as old:  # as botkit made it before
        old.execute(EVENTS_TABLE.replace("key TEXT NOT NULL,", "key TEXT NOT NULL UNIQUE,"))
        old.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        old.executemany("INSERT INTO events (key, kind, conversation, received_at, payload, "
                        "state) VALUES (?, 'status', 'p:c', 1, x'7b7d', 'done')",
                        [(record(n).key,) for n in range(5)])
        old.execute("DELETE FROM events WHERE seq = 5")  # the counter stays at 5
        old.commit()
    store = await opened(path)
    try:
        again = await store.append([record(n) for n in range(6)])
        assert (again.accepted, again.duplicates) == (2, 4)
        assert rows(path, "SELECT seq, key FROM events WHERE seq > 4") == [
            (6, record(4).key), (7, record(5).key)]  # no number given twice
    finally:
        await store.close()
    names = [row[0] for row in rows(path, "SELECT name FROM sqlite_master")]
    assert "sqlite_autoindex_events_1" not in names
    assert {"events_pending", "events_received", "backlog_insert"} <= set(names)
    assert rows(path, "SELECT count(*) FROM dedupe_keys") == [(4,)]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert merged_marks(conn) == [5] * SLICES  # everything stored before was indexed


async def test_a_purged_event_takes_its_key_along(tmp_path, small_merges):
    path = tmp_path / "botkit.db"
    now = [1_000_000.0]
    store = SQLiteStore(f"sqlite:///{path}", dedupe_seconds=100, clock=lambda: now[0])
    await store.open()
    try:
        await store.append([record(n) for n in range(300)])
        await store.settle_many([(event, "done", []) for event in await store.claim(300)])
        assert rows(path, "SELECT count(*) FROM dedupe_keys")[0][0] > 0
        now[0] += 1000
        counts = await store.purge(now[0])
        assert counts["events"] == 300
        assert rows(path, "SELECT count(*) FROM dedupe_keys") == [(0,)]
        assert len(store._dedupe) == 0
        assert (await store.append([record(1)])).accepted == 1
    finally:
        await store.close()


async def test_keys_are_found_by_commands_beside_the_server(tmp_path, small_merges):
    path = tmp_path / "botkit.db"
    store = await opened(path)
    try:
        await store.append([record(n) for n in range(300)])  # every slice is merged
        await store.append([record(n) for n in range(300, 304)])  # these stay in memory
        with contextlib.closing(connect(path)) as aside:
            merged = {row[0] for row in aside.execute("SELECT hash FROM dedupe_keys")}
            in_index = next(n for n in range(304) if key_hash(record(n).key) in merged)
            in_memory = next(n for n in range(304) if key_hash(record(n).key) not in merged)
            keys = [record(n).key for n in (in_index, in_memory, 999)]
            assert known_keys(aside, keys) == set(keys[:2])
            assert seq_of(aside, keys[0]) == in_index + 1
            assert seq_of(aside, keys[1]) == in_memory + 1
            assert seq_of(aside, keys[2]) is None
        admin = SQLiteAdmin(f"sqlite:///{path}")
        try:
            assert admin.event(keys[1])["seq"] == in_memory + 1
            assert admin.event(keys[2]) is None
        finally:
            admin.close()
    finally:
        await store.close()
