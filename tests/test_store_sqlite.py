"""The embedded store: group commit, dedupe, claims that survive restarts, the ledger."""

from __future__ import annotations

import asyncio

import pytest

from botkit import StoreError
from botkit.split import EventRecord, Reject
from botkit.store.base import Delivery
from botkit.store.sqlite import SQLiteStore


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
    assert [e.attempt for e in first] == [1, 1, 1]
    assert await store.claim(10) != []  # the other two, not the claimed ones again
    assert await store.claim(10) == []
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
