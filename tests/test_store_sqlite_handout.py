"""Events handed out with their append: dispatched from memory, never claimed as well, in order
with what still waits for a claim, and redelivered after a crash like claimed events."""

from __future__ import annotations

import sqlite3

import pytest

from botkit import StoreError
from botkit.store.records import EventRecord
from botkit.store.sqlite import SQLiteStore


def record(n: int, conversation: str = "c") -> EventRecord:
    context = {"item": {"id": n}}
    return EventRecord(f"message:wamid.{n}", "message", conversation, 1,
                       f'{{"item":{{"id":{n}}}}}'.encode(), context)


@pytest.fixture
async def store(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path / 'botkit.db'}")
    await store.open()
    assert await store.claim(10) == []  # dispatch starts with a claim that finds everything
    yield store
    await store.close()


async def test_new_events_are_handed_out_with_their_append_and_never_claimed(store):
    result = await store.append([record(1), record(2), record(1)], hand_out=True)
    assert (result.accepted, result.duplicates) == (2, 1)
    assert [(e.key, e.attempt) for e in result.fresh] == [("message:wamid.1", 1),
                                                          ("message:wamid.2", 1)]
    assert result.fresh[0].context == {"item": {"id": 1}}  # no second parse
    assert result.fresh[0].seq < result.fresh[1].seq
    assert await store.claim(10) == []
    store.rewind()
    assert await store.claim(10) == []  # still out: not handed out a second time
    await store.settle(result.fresh[0], "done", [])
    assert await store.pending_count() == 1
    duplicate = await store.append([record(2), record(3)], hand_out=True)
    assert [e.key for e in duplicate.fresh] == ["message:wamid.3"]
    trailing = await store.append([record(4), record(3)], hand_out=True)  # uses a number up
    later = await store.append([record(5)], hand_out=True)
    claimed = await store.claim(10)
    handed = [e.key for e in trailing.fresh + later.fresh + claimed]
    assert sorted(handed) == ["message:wamid.4", "message:wamid.5"]  # each once, by either way


async def test_nothing_is_handed_out_while_an_older_event_waits_for_a_claim(store):
    waiting = await store.append([record(1)])  # the dispatcher had no room
    assert waiting.fresh == []
    later = await store.append([record(2)], hand_out=True)
    assert later.fresh == []  # else it would overtake event 1 of the same conversation
    assert [e.key for e in await store.claim(10)] == ["message:wamid.1", "message:wamid.2"]
    assert [e.key for e in (await store.append([record(3)], hand_out=True)).fresh] == [
        "message:wamid.3"]


async def test_nothing_is_handed_out_before_the_first_claim(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path / 'botkit.db'}")
    await store.open()
    try:
        assert (await store.append([record(1)], hand_out=True)).fresh == []
        assert [e.key for e in await store.claim(10)] == ["message:wamid.1"]
    finally:
        await store.close()


async def test_events_handed_out_and_not_finished_are_redelivered_after_a_crash(tmp_path):
    url = f"sqlite:///{tmp_path / 'botkit.db'}"
    store = SQLiteStore(url)
    await store.open()
    await store.claim(10)
    fresh = (await store.append([record(1), record(2)], hand_out=True)).fresh
    await store.settle(fresh[0], "done", [])
    await store.close()  # as if the process died with event 2 in flight

    store = SQLiteStore(url)
    await store.open()
    again = await store.claim(10)
    assert [(e.key, e.attempt) for e in again] == [("message:wamid.2", 2)]
    await store.close()


async def test_a_transaction_that_rolls_back_hands_nothing_out(store):
    """The hand-out's bookkeeping follows the transaction: a failed commit forgets it, so the
    numbers SQLite gives again later are not mistaken for events already out."""
    def fail_commit(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    writer = store._writer
    writer._before_commit, saved = fail_commit, writer._before_commit
    with pytest.raises(StoreError):
        await store.append([record(1)], hand_out=True)
    writer._before_commit = saved
    assert await store.pending_count() == 0
    assert (await store.append([record(2)], hand_out=True)).fresh == []  # unknown until a claim
    assert [e.key for e in await store.claim(10)] == ["message:wamid.2"]
    assert [e.key for e in (await store.append([record(3)], hand_out=True)).fresh] == [
        "message:wamid.3"]
