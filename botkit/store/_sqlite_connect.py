"""Opening the embedded store's file: its URL, a connection with botkit's pragmas, and a short
transaction of its own for commands run beside a server.

Kept apart from :class:`~botkit.store.sqlite.SQLiteStore` because the admin, the conversation
and template commands and the stats open the same file the same way without the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from botkit.errors import StoreError

T = TypeVar("T")
#: The write-ahead log is cut back to this size after a checkpoint.
WAL_SIZE_LIMIT = 64 * 2**20
#: SQLite's page cache per connection, in KiB (measured: 2 MB cost a third of the status-100
#: throughput in probes of the dedupe index; 16 MB added nothing over 8 but memory).
CACHE_KIB = 8192


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative/path.db`` (from the working folder) or ``sqlite:////abs/path.db``."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc not in ("", "localhost") or not parts.path[1:]:
        raise StoreError(f"not a sqlite URL: {url!r} (expected sqlite:///path/to/file.db)")
    return Path(parts.path[1:])


def connect(path: Path, durability: str = "full") -> sqlite3.Connection:
    """A connection with botkit's pragmas: WAL, the chosen fsync policy, a short busy wait."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 1000")
    # Before WAL mode: a new file only takes this before it is first written.
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durability == 'full' else 'NORMAL'}")
    # Each group-commit job runs in a savepoint, whose undo copies of the pages it changes go to
    # a temporary file by default: that doubled the CPU cost of an append. In memory they cost
    # about nothing (they last one transaction; a 3 MB body needs a few MB).
    conn.execute("PRAGMA temp_store = MEMORY")
    # Room for the dedupe index (see _sqlite_dedupe), probed on every append: 8 MB hold
    # about 350,000 keys of it; SQLite's default, 2 MB, a quarter of that.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


def run_in_own_transaction(path: Path, job: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``job`` in a short write transaction on a connection of its own: how commands
    beside a running server (which writes through its own connection) change the file."""
    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        result = job(conn)
        conn.execute("COMMIT")
        return result
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
