"""What a store holds and how much room it takes, for ``botkit store stats``.

Read with a connection of its own (read-only on SQLite), so it works beside running servers.
Each row names a kind of record, how many there are and when the oldest one was written: a
kind whose oldest row is much older than its retention says the purge is not keeping up.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from botkit.errors import StoreError
from botkit.settings import StoreSettings

#: (kind, SQL giving count and oldest time) on a SQLite store; tables that are missing are
#: left out.
SQLITE_KINDS = (
    ("events pending", "events",
     "SELECT count(*), min(received_at) FROM events WHERE state = 'pending'"),
    ("events done", "events", "SELECT count(*), min(received_at) FROM events WHERE state = 'done'"),
    ("events dead", "events", "SELECT count(*), min(received_at) FROM events WHERE state = 'dead'"),
    ("events quarantined", "events",
     "SELECT count(*), min(received_at) FROM events WHERE state = 'quarantined'"),
    ("dead letters", "deliveries",
     "SELECT count(*), min(updated_at) FROM deliveries WHERE state = 'dead'"),
    ("ledger rows", "deliveries", "SELECT count(*), min(updated_at) FROM deliveries"),
    # Keys of newer events are still only in the server's memory (and in their event rows).
    ("dedupe keys indexed", "dedupe_keys", "SELECT count(*), NULL FROM dedupe_keys"),
    ("quarantine", "quarantine", "SELECT count(*), min(received_at) FROM quarantine"),
    ("handled marks", "handled", "SELECT count(*), min(handled_at) FROM handled"),
    ("outbox items", "outbox", "SELECT count(*), min(updated_at) FROM outbox"),
    ("timers pending", "timers",
     "SELECT count(*), min(updated_at) FROM timers WHERE state = 'pending'"),
    ("timers finished", "timers",
     "SELECT count(*), min(updated_at) FROM timers WHERE state != 'pending'"),
)
AUTO_VACUUM = {0: "none", 1: "full", 2: "incremental"}


def store_stats(settings: StoreSettings) -> dict[str, Any]:
    """``{"store", "kinds": [{"kind", "count", "oldest"}], "space": {...}}`` for the store the
    settings name; raises StoreError when it cannot be read."""
    if settings.url.startswith("sqlite:"):
        from botkit.store.sqlite import sqlite_path

        return sqlite_stats(sqlite_path(settings.url))
    from botkit.store._redis_stats import redis_stats

    return redis_stats(settings.url)


def sqlite_stats(path: Any) -> dict[str, Any]:
    """Counts and oldest rows by kind, the file's size and how much of it is free."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        raise StoreError(f"no store at {path}: has the bot run here yet?")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the store {path}: {exc}") from None
    with contextlib.closing(conn):
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            kinds = []
            for kind, table, sql in SQLITE_KINDS:
                if table in tables:
                    count, oldest = conn.execute(sql).fetchone()
                    kinds.append({"kind": kind, "count": count, "oldest": oldest})
            page_size, pages, free, vacuum = (conn.execute(f"PRAGMA {name}").fetchone()[0]
                                              for name in ("page_size", "page_count",
                                                           "freelist_count", "auto_vacuum"))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the store {path}: {exc}") from None
    wal = path.with_name(path.name + "-wal")
    return {"store": str(path), "kinds": kinds, "space": {
        "file_bytes": path.stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        "page_size": page_size, "pages": pages, "free_pages": free,
        "auto_vacuum": AUTO_VACUUM.get(vacuum, str(vacuum)),
    }}
