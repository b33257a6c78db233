"""The template cache on the SQLite store: two tables beside the event log.

In a running bot every step is one job on the store's writer connection; commands beside it
use a connection of their own, one short transaction per step (WAL lets both work at once).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from botkit.errors import StoreError
from botkit.message_templates.cache import Edit, TemplateCache
from botkit.message_templates.records import CachedTemplate, kept_across_sync

T = TypeVar("T")
Runner = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

SCHEMA = """
CREATE TABLE IF NOT EXISTS message_templates (
    waba_id TEXT NOT NULL,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    record BLOB NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (waba_id, name, language)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS message_template_syncs (
    waba_id TEXT PRIMARY KEY,
    synced_at REAL NOT NULL,
    templates INTEGER NOT NULL
) WITHOUT ROWID;
"""
UPSERT = ("INSERT INTO message_templates (waba_id, name, language, record, updated_at) "
          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (waba_id, name, language) DO UPDATE SET "
          "record = excluded.record, updated_at = excluded.updated_at")
SELECT = "SELECT record FROM message_templates"
ORDER = " ORDER BY waba_id, name, language"


def create_schema(conn: sqlite3.Connection) -> None:
    # One statement at a time: executescript() would commit the writer's open transaction.
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _row(template: CachedTemplate) -> tuple[str, str, str, bytes, float]:
    return (template.waba_id, template.name, template.language, template.to_json(),
            template.updated_at)


def _read(rows: list[tuple[bytes]]) -> list[CachedTemplate]:
    return [CachedTemplate.from_json(row[0]) for row in rows]


class SQLiteTemplateCache(TemplateCache):
    """``run(job)`` executes ``job(connection)`` as one transaction."""

    def __init__(self, run: Runner) -> None:
        self._run = run

    async def open(self) -> None:
        await self._run(create_schema)

    async def named(self, waba_id: str, name: str) -> list[CachedTemplate]:
        rows = await self._run(lambda conn: conn.execute(
            f"{SELECT} WHERE waba_id = ? AND name = ?{ORDER}", (waba_id, name)).fetchall())
        return _read(rows)

    async def all(self, waba_id: str | None = None) -> list[CachedTemplate]:
        where, args = (" WHERE waba_id = ?", (waba_id,)) if waba_id else ("", ())
        rows = await self._run(lambda conn: conn.execute(f"{SELECT}{where}{ORDER}",
                                                         args).fetchall())
        return _read(rows)

    async def replace_account(self, waba_id: str, templates: list[CachedTemplate],
                              now: float) -> tuple[int, int]:
        def job(conn: sqlite3.Connection) -> tuple[int, int]:
            old = {t.key: t for t in _read(conn.execute(
                f"{SELECT} WHERE waba_id = ?", (waba_id,)).fetchall())}
            conn.execute("DELETE FROM message_templates WHERE waba_id = ?", (waba_id,))
            fresh = [kept_across_sync(t, old.get(t.key)) for t in templates]
            conn.executemany(UPSERT, [_row(t) for t in fresh])
            conn.execute("INSERT INTO message_template_syncs (waba_id, synced_at, templates) "
                         "VALUES (?, ?, ?) ON CONFLICT (waba_id) DO UPDATE SET "
                         "synced_at = excluded.synced_at, templates = excluded.templates",
                         (waba_id, now, len(fresh)))
            return len(fresh), len(set(old) - {t.key for t in fresh})
        result: tuple[int, int] = await self._run(job)
        return result

    async def put(self, template: CachedTemplate) -> None:
        await self._run(lambda conn: conn.execute(UPSERT, _row(template)))

    async def remove(self, waba_id: str, name: str, language: str | None = None) -> int:
        where, args = ("AND language = ?", (waba_id, name, language)) if language else (
            "", (waba_id, name))
        count: int = await self._run(lambda conn: conn.execute(
            f"DELETE FROM message_templates WHERE waba_id = ? AND name = ? {where}",
            args).rowcount)
        return count

    async def change(self, waba_id: str, name: str, language: str,
                     edit: Edit) -> CachedTemplate | None:
        def job(conn: sqlite3.Connection) -> CachedTemplate | None:
            row = conn.execute(f"{SELECT} WHERE waba_id = ? AND name = ? AND language = ?",
                               (waba_id, name, language)).fetchone()
            current = CachedTemplate.from_json(row[0]) if row else None
            changed = edit(current)
            if changed is not None and changed != current:
                conn.execute(UPSERT, _row(changed))
            return changed
        result: CachedTemplate | None = await self._run(job)
        return result

    async def synced_at(self, waba_id: str) -> float | None:
        row = await self._run(lambda conn: conn.execute(
            "SELECT synced_at FROM message_template_syncs WHERE waba_id = ?",
            (waba_id,)).fetchone())
        return float(row[0]) if row else None

    async def accounts(self) -> list[str]:
        rows = await self._run(lambda conn: conn.execute(
            "SELECT waba_id FROM message_templates UNION "
            "SELECT waba_id FROM message_template_syncs ORDER BY 1").fetchall())
        return [str(row[0]) for row in rows]


def own_connection_runner(url: str, *, create: bool = False) -> Runner:
    """Jobs on a connection of their own to the store file at ``url``, each in one
    ``BEGIN IMMEDIATE`` transaction (for commands run beside a server)."""
    from botkit.store.sqlite import sqlite_path

    path = sqlite_path(url)
    if not path.exists():
        if not create:
            raise StoreError(f"no store at {path}: run `botkit templates sync` first (or "
                             "check [store] url)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {path.parent}: {exc}") from exc

    from botkit.store.sqlite import run_in_own_transaction

    async def run(job: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return await asyncio.to_thread(run_in_own_transaction, path, job)
        except sqlite3.Error as exc:
            raise StoreError(f"template cache in {path}: {exc}") from exc
    return run

