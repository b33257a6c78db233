"""The embedded store's dedupe against a model: a set of the keys whose events are stored.

Hypothesis drives a real store (its writer thread, a real file) through random sequences of
appends with repeated keys, inserts by another process, jobs that fail after inserting, purges
and restarts, with slices merged after a handful of keys so that every path a key can take
(in memory, merged, read back at start-up, inserted aside, purged) is exercised. After every
step each stored key is stored exactly once, and the store, a command beside it and the model
agree on which keys are known.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from botkit.store import _sqlite_dedupe_tails
from botkit.store._sqlite_dedupe import insert_new_aside, known_keys
from botkit.store.records import EventRecord
from botkit.store.sqlite import SQLiteStore, connect

UNIVERSE = 120
keys = st.lists(st.integers(0, UNIVERSE - 1), min_size=1, max_size=40)


def key(n: int) -> str:
    return f"status:wamid.HBg{n:05d}:delivered"


def record(n: int) -> EventRecord:
    return EventRecord(key(n), "status", f"p:{n % 5}", 1, b"{}")


class DedupeModel(RuleBasedStateMachine):
    """One store file; ``stored`` is what the model says it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="botkit-dedupe-"))
        self.path = self.folder / "botkit.db"
        self.loop = asyncio.new_event_loop()
        self.now = 1_000_000.0
        self.store = self._open()
        self.stored: set[int] = set()

    def _open(self) -> SQLiteStore:
        store = SQLiteStore(f"sqlite:///{self.path}", dedupe_seconds=100,
                            clock=lambda: self.now)
        self.loop.run_until_complete(store.open())
        return store

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    @rule(batch=keys)
    def append(self, batch: list[int]) -> None:
        outcome = self.run(self.store.append([record(n) for n in batch]))
        new = set(batch) - self.stored
        assert outcome.accepted == len(new)
        assert outcome.duplicates == len(batch) - len(new)
        self.stored |= new

    @rule(batch=keys)
    def insert_beside_the_server(self, batch: list[int]) -> None:
        with contextlib.closing(connect(self.path)) as aside:
            aside.execute("BEGIN IMMEDIATE")
            added = insert_new_aside(aside, [(key(n), "status", "p:x", 1, self.now, b"{}")
                                             for n in batch])
            aside.execute("COMMIT")
        assert added == len(set(batch) - self.stored)
        self.stored |= set(batch)

    @rule(batch=keys)
    def a_job_fails_after_inserting(self, batch: list[int]) -> None:
        rows = [(key(n), "status", "p:x", 1, self.now, b"{}") for n in batch]

        def failing(conn: sqlite3.Connection) -> None:
            self.store.insert_new_events(conn, rows)
            raise RuntimeError("after the insert")

        with pytest.raises(RuntimeError):
            self.run(self.store.run_job(failing))

    @precondition(lambda self: self.stored)
    @rule()
    def everything_finishes_and_is_purged(self) -> None:
        claimed = self.run(self.store.claim(10_000))
        self.run(self.store.settle_many([(event, "done", []) for event in claimed]))
        self.now += 1000  # past the dedupe window
        counts = self.run(self.store.purge(self.now))
        assert counts["events"] == len(self.stored)
        self.stored = set()

    @rule()
    def restart(self) -> None:
        self.run(self.store.close())
        self.store = self._open()

    @invariant()
    def each_key_is_stored_once_and_known_to_all(self) -> None:
        with contextlib.closing(sqlite3.connect(self.path)) as conn:
            stored = [row[0] for row in conn.execute("SELECT key FROM events")]
            assert sorted(stored) == sorted(key(n) for n in self.stored)
        with contextlib.closing(connect(self.path)) as aside:
            assert known_keys(aside, [key(n) for n in range(UNIVERSE)]) == {
                key(n) for n in self.stored}

    def teardown(self) -> None:
        self.run(self.store.close())
        self.loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def frequent_merges(monkeypatch):
    """Merge a slice once it has 3 new keys, so that merges happen within a few steps."""
    monkeypatch.setattr(_sqlite_dedupe_tails, "MIN_MERGE", 3)


def test_dedupe_agrees_with_a_set_of_stored_keys(frequent_merges):
    DedupeModel.TestCase.settings = settings(
        max_examples=25, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow])
    DedupeModel.TestCase().runTest()
