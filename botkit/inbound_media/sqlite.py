"""The media index on the SQLite store: one table beside the event log.

Every step is one job on the store's writer connection, so an index row is committed like
any other write of the store (and is as durable).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from botkit.inbound_media.index import MediaIndex
from botkit.inbound_media.records import KeptMedia

Runner = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound_media (
    media_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    customer TEXT,
    phone_number_id TEXT,
    kept_at REAL NOT NULL
) WITHOUT ROWID
"""
COLUMNS = "media_id, path, mime_type, size, sha256, customer, phone_number_id, kept_at"
UPSERT = (f"INSERT INTO inbound_media ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (media_id) DO UPDATE SET path = excluded.path, "
          "mime_type = excluded.mime_type, size = excluded.size, sha256 = excluded.sha256, "
          "customer = excluded.customer, phone_number_id = excluded.phone_number_id, "
          "kept_at = excluded.kept_at")


class SQLiteMediaIndex(MediaIndex):
    """``run(job)`` executes ``job(connection)`` as one transaction (``store.run_job``)."""

    def __init__(self, run: Runner) -> None:
        self._run = run

    async def open(self) -> None:
        await self._run(lambda conn: conn.execute(SCHEMA))

    async def get(self, media_id: str) -> KeptMedia | None:
        row = await self._run(lambda conn: conn.execute(
            f"SELECT {COLUMNS} FROM inbound_media WHERE media_id = ?", (media_id,)).fetchone())
        if row is None:
            return None
        return KeptMedia(media_id=row[0], path=Path(row[1]), mime_type=row[2], size=row[3],
                         sha256=row[4], customer=row[5], phone_number_id=row[6],
                         kept_at=row[7])

    async def put(self, record: KeptMedia) -> None:
        values = (record.media_id, str(record.path), record.mime_type, record.size,
                  record.sha256, record.customer, record.phone_number_id, record.kept_at)
        await self._run(lambda conn: conn.execute(UPSERT, values))
