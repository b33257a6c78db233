"""The server's side of the dedupe index (see ``_sqlite_dedupe``): the slices' tails in memory.

Only the store's writer thread uses a :class:`DedupeTails`: it filters each append's keys,
learns the ``seq`` of every new event, merges a slice into ``dedupe_keys`` before a commit
when its tail is big enough, and undoes what a job or a transaction that rolled back had done.
Events another process added (a command run beside the server) are read from the file when
the sequence counter shows them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from botkit.store._sqlite_dedupe import (
    CHUNK,
    MERGE_SHARE,
    MIN_MERGE,
    SET_MARK,
    SLICES,
    _slice,
    indexed,
    key_hash,
    last_seq,
    merged_marks,
)

#: A slice merged in the transaction under way: (slice, its tail, mark and merged count before).
_Merged = tuple[int, dict[bytes, int], int, int]


class DedupeTails:
    """Per slice: the keys above its mark (hash -> seq), and how many keys it has merged."""

    def __init__(self) -> None:
        self._tails: list[dict[bytes, int]] = [{} for _ in range(SLICES)]
        self._marks = [0] * SLICES
        self._merged = [0] * SLICES
        #: Every event up to here is in a tail or merged.
        self._seen = 0
        #: Undo records of the transaction under way, and where the current job's start.
        self._added: list[bytes] = []
        self._merging: list[_Merged] = []
        self._forgotten: list[bytes] = []
        self._seen_before = 0
        self._job_start = 0
        self._job_seen = 0

    def __len__(self) -> int:
        return sum(len(tail) for tail in self._tails)

    def load(self, conn: sqlite3.Connection) -> None:
        """At start: the marks, how big each slice is, and the tails read from ``events``."""
        self._marks = merged_marks(conn)
        for r in range(SLICES):
            upper = "AND hash < ?" if r < SLICES - 1 else ""
            bounds = (bytes([r << 4]),) + ((bytes([(r + 1) << 4]),) if upper else ())
            self._merged[r] = conn.execute(
                f"SELECT count(*) FROM dedupe_keys WHERE hash >= ? {upper}", bounds).fetchone()[0]
        self._seen = min(self._marks)
        self._catch_up(conn)
        self._seen_before = self._seen

    def _catch_up(self, conn: sqlite3.Connection) -> None:
        """Read the events added since ``_seen`` (by another process, or all at start)."""
        marks, tails = self._marks, self._tails
        for seq, key in conn.execute("SELECT seq, key FROM events WHERE seq > ? ORDER BY seq",
                                     (self._seen,)):
            digest = key_hash(key)
            r = _slice(digest)
            if seq > marks[r]:
                tails[r][digest] = seq
            self._seen = seq
        self._seen = max(self._seen, last_seq(conn))

    def new_keys(self, conn: sqlite3.Connection, keys: Sequence[str]
                 ) -> tuple[list[int], list[bytes]]:
        """The positions in ``keys`` of those no stored event has (the first of each), in
        order, with their hashes (for :meth:`inserted`)."""
        if last_seq(conn) > self._seen:
            self._catch_up(conn)
        tails = self._tails
        candidates: dict[bytes, int] = {}
        for position, key in enumerate(keys):
            digest = key_hash(key)
            if digest not in candidates and digest not in tails[digest[0] >> 4]:
                candidates[digest] = position
        if candidates and any(self._merged):
            for digest in indexed(conn, list(candidates)):
                del candidates[digest]
        fresh = sorted((position, digest) for digest, position in candidates.items())
        return [position for position, _ in fresh], [digest for _, digest in fresh]

    def inserted(self, hashes: Sequence[bytes], last: int) -> None:
        """Events with these key hashes were just inserted, numbered up to ``last`` one after
        the other."""
        tails = self._tails
        for seq, digest in enumerate(hashes, start=last - len(hashes) + 1):
            tails[digest[0] >> 4][digest] = seq
            self._added.append(digest)
        self._seen = max(self._seen, last)

    def forget(self, hashes: Sequence[bytes]) -> None:
        """Purged events: out of the tails once the purge commits."""
        self._forgotten.extend(hashes)

    # -- the writer's transaction hooks --------------------------------------------------------

    def job_started(self) -> None:
        self._job_start = len(self._added)
        self._job_seen = self._seen

    def job_failed(self) -> None:
        """The job's savepoint rolled back: so do the keys it added."""
        for digest in self._added[self._job_start:]:
            self._tails[digest[0] >> 4].pop(digest, None)
        del self._added[self._job_start:]
        # Its sequence numbers were given back: another process may be given them next.
        self._seen = self._job_seen

    def before_commit(self, conn: sqlite3.Connection) -> None:
        """Merge every slice whose tail is big enough, inside the transaction."""
        for r in range(SLICES):
            if len(self._tails[r]) >= max(MIN_MERGE, self._merged[r] // MERGE_SHARE):
                self._merge(conn, r)

    def _merge(self, conn: sqlite3.Connection, r: int) -> None:
        if last_seq(conn) > self._seen:
            self._catch_up(conn)
        tail = self._tails[r]
        rows = sorted(tail.items())
        for chunk in (rows[start:start + CHUNK // 2] for start in range(0, len(rows), CHUNK // 2)):
            conn.execute("INSERT OR IGNORE INTO dedupe_keys (hash, seq) VALUES "
                         + ",".join(["(?,?)"] * len(chunk)),
                         [value for row in chunk for value in row])
        conn.execute(SET_MARK, (f"dedupe_merged_{r}", self._seen))
        self._merging.append((r, tail, self._marks[r], self._merged[r]))
        self._tails[r] = {}
        self._marks[r] = self._seen
        self._merged[r] += len(rows)

    def transaction_done(self, committed: bool) -> None:
        if committed:
            for digest in self._forgotten:
                self._tails[digest[0] >> 4].pop(digest, None)
        else:
            for r, tail, mark, merged in reversed(self._merging):
                self._tails[r], self._marks[r], self._merged[r] = tail, mark, merged
            for digest in self._added:
                self._tails[digest[0] >> 4].pop(digest, None)
            # Events other processes added stay; reading them again is harmless.
            self._seen = self._seen_before
        self._added, self._merging, self._forgotten = [], [], []
        self._seen_before = self._seen
        self._job_start = 0
