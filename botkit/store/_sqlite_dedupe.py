"""The embedded store's dedupe keys: a durable index written in bulk, the newest keys in memory.

Why not a unique index on ``events.key``: dedupe keys are wamids, which are random, so each new
key lands on a page of its own in a large index and every stored event cost one more page in
the write-ahead log (on this kind of disk, more than the rest of the row). Here each event row
keeps its key, and the keys go into ``dedupe_keys`` in bulk, sorted, one sixteenth of the hash
space (a *slice*) at a time, once the slice has gathered many more new keys than that part of
the index has pages: every page written then takes several keys.

The file alone always answers "is this key known?": ``dedupe_keys`` holds the 16-byte BLAKE2b
of each merged key with its event's ``seq``; for slice ``r`` the meta row ``dedupe_merged_<r>``
says up to which ``seq`` that slice is merged; events above it are the slice's *tail*, found by
scanning ``events`` from there (:func:`known_keys`, used by commands run beside the server).
The server's writer thread keeps the tails in memory instead (:class:`DedupeIndex`), so that an
append only probes the index and never scans.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from hashlib import blake2b

from botkit.store._sqlite_schema import insert_events

SLICES = 16
#: A slice is merged once its tail has this many keys, or 1/40 of the slice's merged keys
#: (about four times its pages: 16-byte hashes, some 180 to a page), whichever is more.
MIN_MERGE = 2048
MERGE_SHARE = 40
#: Bound parameters per statement, well under SQLite's limit.
CHUNK = 900

CREATE_TABLE = ("CREATE TABLE IF NOT EXISTS dedupe_keys (hash BLOB PRIMARY KEY, "
                "seq INTEGER NOT NULL) WITHOUT ROWID")
SET_MARK = ("INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value")


def key_hash(key: str) -> bytes:
    """The 16 bytes a dedupe key is indexed by (a collision is out of reach: 2^-64 for 2^32
    keys)."""
    return blake2b(key.encode(), digest_size=16).digest()


def _slice(digest: bytes) -> int:
    return digest[0] >> 4


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def last_seq(conn: sqlite3.Connection) -> int:
    """The highest sequence number ``events`` ever gave (AUTOINCREMENT keeps it)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    return row[0] if row else 0


def merged_marks(conn: sqlite3.Connection) -> list[int]:
    """For each slice, up to which ``seq`` its keys are in ``dedupe_keys``."""
    rows = dict(conn.execute("SELECT name, value FROM meta WHERE name LIKE 'dedupe_merged_%'"))
    return [rows.get(f"dedupe_merged_{r}", 0) for r in range(SLICES)]


def indexed(conn: sqlite3.Connection, hashes: Sequence[bytes]) -> set[bytes]:
    """Which of ``hashes`` are in ``dedupe_keys``."""
    found: set[bytes] = set()
    for chunk in _chunks(hashes):
        found.update(row[0] for row in conn.execute(
            f"SELECT hash FROM dedupe_keys WHERE hash IN ({_marks(len(chunk))})", chunk))
    return found


def known_keys(conn: sqlite3.Connection, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the file already has, from the file alone (any process)."""
    by_hash = {key_hash(key): key for key in keys}
    found = {by_hash[digest] for digest in indexed(conn, list(by_hash))}
    low = min(merged_marks(conn))
    for chunk in _chunks(list(keys)):
        found.update(row[0] for row in conn.execute(
            f"SELECT key FROM events WHERE seq > ? AND key IN ({_marks(len(chunk))})",
            (low, *chunk)))
    return found


def seq_of(conn: sqlite3.Connection, key: str) -> int | None:
    """The ``seq`` of the event with dedupe key ``key``, if it is stored."""
    row = conn.execute("SELECT seq FROM dedupe_keys WHERE hash = ?", (key_hash(key),)).fetchone()
    if row is None:
        row = conn.execute("SELECT seq FROM events WHERE seq > ? AND key = ?",
                           (min(merged_marks(conn)), key)).fetchone()
    return row[0] if row is not None else None


def forget(conn: sqlite3.Connection, keys: Sequence[str]) -> list[bytes]:
    """Take the keys of purged events out of ``dedupe_keys``; returns their hashes."""
    hashes = [key_hash(key) for key in keys]
    for chunk in _chunks(hashes):
        conn.execute(f"DELETE FROM dedupe_keys WHERE hash IN ({_marks(len(chunk))})", chunk)
    return hashes


def ensure_layout(conn: sqlite3.Connection, create_events: str) -> str | None:
    """Bring a store file to this layout, in one transaction; what was done, for the log.

    A file from before ``dedupe_keys`` gets the table, filled with every stored key (merged up
    to the last event); one whose ``events.key`` still has its unique index gets ``events``
    rebuilt without it (``create_events`` makes the new table; indexes and triggers are the
    caller's to recreate), keeping the sequence counter where it was.
    """
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    unique = "sqlite_autoindex_events_1" in tables
    if "dedupe_keys" in tables and not unique:
        return None
    done = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        if unique:
            counter = last_seq(conn)
            conn.execute("ALTER TABLE events RENAME TO events_unique_key")
            conn.execute(create_events)
            conn.execute("INSERT INTO events SELECT seq, key, kind, conversation, occurred_at, "
                         "received_at, payload, state, attempts, updated_at "
                         "FROM events_unique_key")
            conn.execute("DROP TABLE events_unique_key")
            if counter > last_seq(conn):
                conn.execute("DELETE FROM sqlite_sequence WHERE name = 'events'")
                conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)",
                             (counter,))
            done.append("rebuilt the events table without its unique key index")
        if "dedupe_keys" not in tables:
            conn.execute(CREATE_TABLE)
            conn.create_function("botkit_key_hash", 1, key_hash, deterministic=True)
            filled = conn.execute("INSERT OR IGNORE INTO dedupe_keys (hash, seq) SELECT "
                                  "botkit_key_hash(key), seq FROM events ORDER BY 1").rowcount
            top = last_seq(conn)
            for r in range(SLICES):
                conn.execute(SET_MARK, (f"dedupe_merged_{r}", top))
            if filled:
                done.append(f"indexed the dedupe keys of {filled} stored event(s)")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return "; ".join(done) or None


def insert_new_aside(conn: sqlite3.Connection, rows: Sequence[tuple]) -> int:
    """Insert the event rows (``INSERT_EVENT``'s columns) whose keys the file does not have
    yet, from a process beside the server (the server reads them from the file when it sees
    the sequence counter move); returns how many went in."""
    known = known_keys(conn, [row[0] for row in rows])
    fresh = {}
    for row in rows:
        if row[0] not in known:
            fresh.setdefault(row[0], row)
    if fresh:
        insert_events(conn, list(fresh.values()))
    return len(fresh)
