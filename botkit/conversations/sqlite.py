"""Conversations on the SQLite store: tables beside the event log, written by its writer thread.

Every method is one job on the store's single writer connection, so a commit of a handler's
changes lands in the same transaction as nothing else half-done: state, timers, outbox and the
``handled`` mark for (event, plugin) are written together or not at all. Commands in another
process (``botkit handoff``, ``botkit timers``) use their own connection to the same file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from botkit.conversations.records import (
    Changes,
    ConversationInfo,
    ModeChange,
    OutboxItem,
    PluginState,
    PriorHandling,
    TimerSpec,
)
from botkit.conversations.store import ConversationStore
from botkit.errors import StoreError
from botkit.json_codec import from_json, to_json
from botkit.store._sqlite_dedupe import insert_new_aside

T = TypeVar("T")
Runner = Callable[[Callable[[sqlite3.Connection], T]], Awaitable[T]]

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    key TEXT PRIMARY KEY,
    mode TEXT NOT NULL DEFAULT 'bot',
    handoff_until REAL,
    handoff_by TEXT,
    handoff_reason TEXT,
    last_inbound_at REAL,
    updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversations_human ON conversations (key) WHERE mode = 'human';
CREATE TABLE IF NOT EXISTS conversation_state (
    conversation TEXT NOT NULL,
    plugin TEXT NOT NULL,
    state TEXT,
    data BLOB NOT NULL,
    expires_at REAL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (conversation, plugin)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (
    id TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    plugin TEXT NOT NULL,
    name TEXT NOT NULL,
    due_at REAL NOT NULL,
    data BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS timers_by_name ON timers (conversation, plugin, name)
    WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS handled (
    event_key TEXT NOT NULL,
    plugin TEXT NOT NULL,
    handled_at REAL NOT NULL,
    PRIMARY KEY (event_key, plugin)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    event_key TEXT NOT NULL,
    plugin TEXT NOT NULL,
    idx INTEGER NOT NULL,
    conversation TEXT NOT NULL,
    item BLOB NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (event_key, plugin, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_conversation ON outbox (conversation, updated_at);
"""

UPSERT_INBOUND = (
    "INSERT INTO conversations (key, last_inbound_at, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET last_inbound_at = "
    "max(coalesce(last_inbound_at, 0), excluded.last_inbound_at)"
)
UPSERT_MODE = (
    "INSERT INTO conversations (key, mode, handoff_until, handoff_by, handoff_reason, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET mode = excluded.mode, "
    "handoff_until = excluded.handoff_until, handoff_by = excluded.handoff_by, "
    "handoff_reason = excluded.handoff_reason, updated_at = excluded.updated_at"
)


def create_schema(conn: sqlite3.Connection) -> None:
    # One statement at a time: executescript() would commit the writer's open transaction.
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def item_json(item: OutboxItem) -> bytes:
    return to_json({"phone_number_id": item.phone_number_id, "to": item.to,
                    "recipient": item.recipient, "body": item.body, "fallback": item.fallback,
                    "before_handoff": item.before_handoff})


def item_from_row(idx: int, blob: bytes, status: str, result: str | None) -> OutboxItem:
    data = from_json(blob)
    return OutboxItem(idx, data["phone_number_id"], data["to"], data["recipient"], data["body"],
                      data.get("fallback"), status, result,  # type: ignore[arg-type]
                      bool(data.get("before_handoff")))


def timer_event_payload(timer: TimerSpec) -> bytes:
    return to_json({"timer_id": timer.id, "name": timer.name, "plugin": timer.plugin,
                    "due_at": timer.due_at, "conversation": timer.conversation,
                    "data": dict(timer.data)})


def _info(key: str, row: Any) -> ConversationInfo:
    if row is None:
        return ConversationInfo(key)
    return ConversationInfo(key, row[0], row[1], row[2], row[3], row[4])


class SQLiteConversations(ConversationStore):
    """The conversation tables of one SQLite file; ``run`` executes a job on a connection,
    ``insert_events`` adds event rows whose keys are new from inside such a job (the server's
    store keeps its newest dedupe keys in memory; a command beside it reads the file)."""

    def __init__(self, run: Runner[Any],
                 insert_events: Callable[[sqlite3.Connection, list[tuple]], object]
                 = insert_new_aside) -> None:
        self._run = run
        self._insert_events = insert_events

    async def open(self) -> None:
        await self._run(create_schema)

    async def info(self, conversation: str) -> ConversationInfo:
        row = await self._run(lambda conn: conn.execute(
            "SELECT mode, handoff_until, handoff_by, handoff_reason, last_inbound_at "
            "FROM conversations WHERE key = ?", (conversation,)).fetchone())
        return _info(conversation, row)

    async def plugin_state(self, conversation: str, plugin: str) -> PluginState:
        row = await self._run(lambda conn: conn.execute(
            "SELECT state, data, expires_at FROM conversation_state "
            "WHERE conversation = ? AND plugin = ?", (conversation, plugin)).fetchone())
        if row is None:
            return PluginState()
        return PluginState(row[0], from_json(row[1]), row[2])

    async def prior(self, event_key: str, plugin: str) -> PriorHandling:
        def job(conn: sqlite3.Connection) -> PriorHandling:
            handled = conn.execute("SELECT 1 FROM handled WHERE event_key = ? AND plugin = ?",
                                   (event_key, plugin)).fetchone() is not None
            rows = conn.execute("SELECT idx, item, status, result FROM outbox "
                                "WHERE event_key = ? AND plugin = ? ORDER BY idx",
                                (event_key, plugin)).fetchall()
            return PriorHandling(handled, [item_from_row(*row) for row in rows])
        return await self._run(job)

    async def commit(self, event_key: str, plugin: str, conversation: str,
                     changes: Changes, now: float) -> None:
        def job(conn: sqlite3.Connection) -> None:
            try:
                conn.execute("INSERT INTO handled (event_key, plugin, handled_at) "
                             "VALUES (?, ?, ?)", (event_key, plugin, now))
            except sqlite3.IntegrityError:
                raise StoreError(f"{event_key} was handled by {plugin} already") from None
            if changes.state_changed:
                _write_state(conn, conversation, plugin, changes.state, now)
            for name in changes.cancelled_names:
                conn.execute("UPDATE timers SET state = 'cancelled', updated_at = ? WHERE "
                             "conversation = ? AND plugin = ? AND name = ? AND state = 'pending'",
                             (now, conversation, plugin, name))
            for timer_id in changes.cancelled_timers:
                conn.execute("UPDATE timers SET state = 'cancelled', updated_at = ? "
                             "WHERE id = ? AND state = 'pending'", (now, timer_id))
            conn.executemany(
                "INSERT INTO timers (id, conversation, plugin, name, due_at, data, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(t.id, t.conversation, t.plugin, t.name, t.due_at, to_json(dict(t.data)), now)
                 for t in changes.timers])
            conn.executemany(
                "INSERT INTO outbox (event_key, plugin, idx, conversation, item, status, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(event_key, plugin, item.index, conversation, item_json(item), item.status, now)
                 for item in changes.outbox])
            if changes.mode is not None:
                _write_mode(conn, conversation, changes.mode, now)
            if changes.events:
                self._insert_events(conn, [(r.key, r.kind, r.conversation, r.occurred_at, now,
                                            r.payload) for r in changes.events])
        await self._run(job)

    async def mark_sent(self, event_key: str, plugin: str, item: OutboxItem,
                        now: float) -> None:
        await self._run(lambda conn: conn.execute(
            "UPDATE outbox SET status = ?, result = ?, updated_at = ? "
            "WHERE event_key = ? AND plugin = ? AND idx = ?",
            (item.status, item.result, now, event_key, plugin, item.index)))

    async def set_mode(self, conversation: str, change: ModeChange, now: float) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            before = _info(conversation, conn.execute(
                "SELECT mode, handoff_until, handoff_by, handoff_reason, last_inbound_at "
                "FROM conversations WHERE key = ?", (conversation,)).fetchone())
            if change.mode == "bot" and before.mode == "bot":
                return False
            _write_mode(conn, conversation, change, now)
            # A hand-back after the TTL ran out changes the row, not who has the conversation.
            return before.with_human(now) != (change.mode == "human")
        return await self._run(job)

    async def handoffs(self, now: float) -> list[ConversationInfo]:
        rows = await self._run(lambda conn: conn.execute(
            "SELECT key, mode, handoff_until, handoff_by, handoff_reason, last_inbound_at "
            "FROM conversations WHERE mode = 'human' ORDER BY updated_at").fetchall())
        infos = [_info(row[0], row[1:]) for row in rows]
        return [info for info in infos if info.with_human(now)]

    async def fire_due_timers(self, now: float, limit: int = 100) -> int:
        def job(conn: sqlite3.Connection) -> int:
            rows = conn.execute(
                "SELECT id, conversation, plugin, name, due_at, data FROM timers "
                "WHERE state = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?",
                (now, limit)).fetchall()
            events = []
            for row in rows:
                timer = TimerSpec(row[0], row[1], row[2], row[3], row[4], from_json(row[5]))
                events.append((f"timer:{timer.id}", "timer", timer.conversation,
                               int(timer.due_at), now, timer_event_payload(timer)))
                conn.execute("UPDATE timers SET state = 'fired', updated_at = ? WHERE id = ?",
                             (now, timer.id))
            if events:
                self._insert_events(conn, events)
            return len(rows)
        return await self._run(job)

    async def next_timer_due(self) -> float | None:
        row = await self._run(lambda conn: conn.execute(
            "SELECT min(due_at) FROM timers WHERE state = 'pending'").fetchone())
        return row[0] if row else None

    async def cancel_timer(self, timer_id: str, now: float) -> bool:
        return bool(await self._run(lambda conn: conn.execute(
            "UPDATE timers SET state = 'cancelled', updated_at = ? "
            "WHERE id = ? AND state = 'pending'", (now, timer_id)).rowcount))

    async def timers(self, conversation: str | None = None) -> list[TimerSpec]:
        where, args = ("AND conversation = ?", (conversation,)) if conversation else ("", ())
        rows = await self._run(lambda conn: conn.execute(
            "SELECT id, conversation, plugin, name, due_at, data FROM timers "
            f"WHERE state = 'pending' {where} ORDER BY due_at", args).fetchall())
        return [TimerSpec(r[0], r[1], r[2], r[3], r[4], from_json(r[5])) for r in rows]

    async def customer_conversations(self, customer: str) -> list[str]:
        pattern = "%:" + customer.replace("%", "").replace("_", r"\_")
        rows = await self._run(lambda conn: conn.execute(
            "SELECT key FROM conversations WHERE key LIKE ? ESCAPE '\\' UNION "
            "SELECT DISTINCT conversation FROM events WHERE kind = 'message' "
            "AND conversation LIKE ? ESCAPE '\\' ORDER BY 1", (pattern, pattern)).fetchall())
        return [row[0] for row in rows]

    async def note_inbound_many(self, latest: dict[str, float]) -> None:
        rows = [(key, timestamp, timestamp) for key, timestamp in latest.items()]
        await self._run(lambda conn: conn.executemany(UPSERT_INBOUND, rows))

    async def note_inbound(self, conversation: str, timestamp: float) -> None:
        await self._run(lambda conn: conn.execute(UPSERT_INBOUND,
                                                  (conversation, timestamp, timestamp)))


def _write_state(conn: sqlite3.Connection, conversation: str, plugin: str,
                 state: PluginState | None, now: float) -> None:
    if state is None or (state.state is None and not state.data):
        conn.execute("DELETE FROM conversation_state WHERE conversation = ? AND plugin = ?",
                     (conversation, plugin))
        return
    conn.execute(
        "INSERT INTO conversation_state (conversation, plugin, state, data, expires_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation, plugin) DO UPDATE SET "
        "state = excluded.state, data = excluded.data, expires_at = excluded.expires_at, "
        "updated_at = excluded.updated_at",
        (conversation, plugin, state.state, to_json(dict(state.data)), state.expires_at, now))


def _write_mode(conn: sqlite3.Connection, conversation: str, change: ModeChange,
                now: float) -> None:
    if change.mode == "bot":
        conn.execute(UPSERT_MODE, (conversation, "bot", None, None, None, now))
    else:
        conn.execute(UPSERT_MODE, (conversation, "human", change.until, change.by,
                                   change.reason, now))
