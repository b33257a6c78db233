"""Which events the embedded store has handed to its process's dispatcher, by claim or with
their append, so that none is handed out twice.

The writer thread runs every claim and every append, one after the other, so it is where the
decisions are taken: a claim skips what is out; an append hands its new events out at once only
if every older event is already out (else a claim must take them, in order, and these with
them). The event loop only takes events back in once they are settled, under the same lock.
A transaction that rolls back forgets the hand-outs of its appends: their sequence numbers may
be given again to other events.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable

from botkit.store._sqlite_dedupe import last_seq
from botkit.store.records import EventRecord, StoredEvent

CLAIMED_UPTO = (
    "INSERT INTO meta (name, value) VALUES ('claimed_upto', ?) "
    "ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"
)


class HandOuts:
    """The events out for dispatch, and up to where every event is out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._out: set[int] = set()
        #: Every event up to here is out or finished; None: not known (at start, after a
        #: rollback) until a claim finds nothing more to take.
        self._all_out_upto: int | None = None
        #: Handed out in the transaction under way (forgotten if it rolls back).
        self._tentative: list[int] = []
        #: The last event handed out by an append in the transaction under way (0: none).
        self._tentative_upto = 0

    def __len__(self) -> int:
        return len(self._out)

    def out(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._out)

    def claimed(self, conn: sqlite3.Connection, seqs: list[int], exhausted: bool) -> None:
        """A claim (in the writer thread) takes ``seqs``; ``exhausted``: it took every event
        that was waiting."""
        with self._lock:
            self._out.update(seqs)
        self._tentative += seqs
        if exhausted:
            self._all_out_upto = last_seq(conn)

    def hand_out(self, records: list[EventRecord], last: int, now: float) -> list[StoredEvent]:
        """After an append (in the writer thread, inside its transaction) that inserted
        ``records``, numbered one after the other up to ``last``: those events, now out, or
        none when an older event still waits for a claim (or whether one does is not known)."""
        upto = self._all_out_upto
        if upto is None or not records or last - len(records) != upto:
            return []
        fresh = [StoredEvent(seq, record.key, record.kind, record.conversation, record.payload,
                             1, received_at=now, context=record.context)
                 for seq, record in zip(range(upto + 1, last + 1), records, strict=True)]
        handed = [event.seq for event in fresh]
        with self._lock:
            self._out.update(handed)
        self._tentative += handed
        self._all_out_upto = self._tentative_upto = fresh[-1].seq
        return fresh

    def settled(self, seqs: Iterable[int]) -> None:
        """These are finished (or given back): a later claim may take them again if replayed."""
        with self._lock:
            self._out.difference_update(seqs)

    def before_commit(self, conn: sqlite3.Connection) -> None:
        """Once per transaction, as a claim does for its events: a crash from here on makes
        the events handed out by its appends redeliveries (attempt 2)."""
        if self._tentative_upto:
            conn.execute(CLAIMED_UPTO, (self._tentative_upto,))

    def transaction_done(self, committed: bool) -> None:
        """Called by the writer thread after each transaction."""
        if not committed and self._tentative:
            self.settled(self._tentative)
            self._all_out_upto = None
        self._tentative = []
        self._tentative_upto = 0
