"""Timelines from a SQLite store, read through a read-only connection of their own.

Everything a timeline shows is in the store's file: ``events`` (messages, statuses, handoffs,
fired timers), ``deliveries`` (the ledger, dead letters included), ``conversations``,
``outbox`` with ``handled`` (when each item was committed) and ``timers`` (pending ones). Each
question is answered inside one read transaction, so it sees the file at one moment while the
bot keeps writing. A store from before the conversation tables simply has no rows in them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from botkit.conversations.records import ConversationInfo, TimerSpec
from botkit.errors import StoreError
from botkit.json_codec import from_json
from botkit.store.sqlite import sqlite_path
from botkit.timeline._assemble import (
    TIMELINE_KINDS,
    RawEvent,
    RawOutbox,
    assemble,
    conversation_list,
)
from botkit.timeline.funnel import count_funnel
from botkit.timeline.reader import (
    ENTRY_LIMIT,
    NAME_SCAN_LIMIT,
    TimelineReader,
    remember_latest,
)
from botkit.timeline.records import ConversationSummary, NumberFunnel, Timeline

CONVERSATION_TABLES = ("conversations", "outbox", "handled", "timers")
KINDS = "(" + ", ".join(f"'{kind}'" for kind in TIMELINE_KINDS) + ")"
# A field of a stored payload (JSON kept as a BLOB), NULL where the payload is not JSON.
FIELD = "CASE WHEN json_valid(p) THEN json_extract(p, '{}') END"


def _info(key: str, row: Any) -> ConversationInfo:
    if row is None:
        return ConversationInfo(key)
    return ConversationInfo(key, "human" if row[0] == "human" else "bot", *row[1:5])


class SQLiteTimelineReader(TimelineReader):
    """Reads one SQLite store file without writing to it."""

    def __init__(self, url: str) -> None:
        path = sqlite_path(url)
        if not path.exists():
            raise StoreError(f"no store at {path}")
        try:
            self.conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True,
                                        isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA busy_timeout = 2000")
            self.tables = {row[0] for row in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the store {path}: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read transaction; SQLite errors become StoreError."""
        try:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the store: {exc}") from None

    def _has(self, *tables: str) -> bool:
        return all(table in self.tables for table in tables)

    # -- one customer ------------------------------------------------------------------------

    def timeline(self, customer: str, *, number: str | None = None,
                 now: float) -> Timeline | None:
        with self._reading() as conn:
            keys = self._conversation_keys(conn, customer, number)
            if not keys:
                return None
            marks = ",".join("?" * len(keys))
            infos = {key: ConversationInfo(key) for key in keys}
            if self._has("conversations"):
                for row in conn.execute(
                        "SELECT key, mode, handoff_until, handoff_by, handoff_reason, "
                        f"last_inbound_at FROM conversations WHERE key IN ({marks})", keys):
                    infos[row[0]] = _info(row[0], row[1:])
            rows = conn.execute(
                "SELECT seq, key, kind, conversation, received_at, state, payload FROM events "
                f"WHERE conversation IN ({marks}) AND kind IN {KINDS} "
                "ORDER BY seq DESC LIMIT ?", [*keys, ENTRY_LIMIT + 1]).fetchall()
            truncated = len(rows) > ENTRY_LIMIT
            events = self._events(conn, rows[:ENTRY_LIMIT])
            outbox = self._outbox(conn, keys)
            timers = self._timers(conn, keys)
        return assemble(customer, infos, events, outbox, timers, now, truncated=truncated)

    def _conversation_keys(self, conn: sqlite3.Connection, customer: str,
                           number: str | None) -> list[str]:
        tail = ":" + customer
        sources = [f"SELECT conversation FROM events WHERE substr(conversation, -?) = ? "
                   f"AND kind IN {KINDS}"]
        if self._has("conversations"):
            sources.append("SELECT key FROM conversations WHERE substr(key, -?) = ?")
        if self._has("outbox"):
            sources.append("SELECT conversation FROM outbox WHERE substr(conversation, -?) = ?")
        found = {row[0] for row in conn.execute(
            " UNION ".join(sources), [len(tail), tail] * len(sources))}
        return sorted(key for key in found if key.partition(":")[2] == customer
                      and (number is None or key.partition(":")[0] == number))

    def _events(self, conn: sqlite3.Connection, rows: list[Any]) -> list[RawEvent]:
        ledger: dict[int, list[tuple[str, str, int, str | None]]] = {}
        seqs = [row[0] for row in rows]
        for start in range(0, len(seqs), 500):
            chunk = seqs[start:start + 500]
            for seq, plugin, state, attempts, error in conn.execute(
                    "SELECT seq, plugin, state, attempts, error FROM deliveries "
                    f"WHERE seq IN ({','.join('?' * len(chunk))})", chunk):
                ledger.setdefault(seq, []).append((plugin, state, attempts, error))
        events = []
        for seq, key, kind, conversation, received_at, state, payload in rows:
            try:
                decoded = from_json(payload)
            except ValueError:
                decoded = None
            events.append(RawEvent(key, kind, conversation, received_at, state, decoded,
                                   ledger.get(seq, []), float(seq)))
        return events

    def _outbox(self, conn: sqlite3.Connection, keys: list[str]) -> list[RawOutbox]:
        if not self._has("outbox", "handled"):
            return []
        found = []
        for event_key, plugin, idx, conversation, item, status, result, at in conn.execute(
                "SELECT o.event_key, o.plugin, o.idx, o.conversation, o.item, o.status, "
                "o.result, coalesce(h.handled_at, o.updated_at) FROM outbox o "
                "LEFT JOIN handled h ON h.event_key = o.event_key AND h.plugin = o.plugin "
                f"WHERE o.conversation IN ({','.join('?' * len(keys))})", keys):
            try:
                decoded = from_json(item)
            except ValueError:
                decoded = {}
            found.append(RawOutbox(event_key, plugin, idx, conversation,
                                   decoded if isinstance(decoded, dict) else {}, status,
                                   result, at))
        return found

    def _timers(self, conn: sqlite3.Connection, keys: list[str]) -> list[TimerSpec]:
        if not self._has("timers"):
            return []
        return [TimerSpec(*row) for row in conn.execute(
            "SELECT id, conversation, plugin, name, due_at FROM timers WHERE state = 'pending' "
            f"AND conversation IN ({','.join('?' * len(keys))})", keys)]

    # -- lists -------------------------------------------------------------------------------

    def conversations(self, query: str | None, *, now: float,
                      limit: int = 100) -> list[ConversationSummary]:
        with self._reading() as conn:
            infos: dict[str, ConversationInfo] = {}
            activity: dict[str, float] = {}
            if self._has("conversations"):
                for row in conn.execute(
                        "SELECT key, mode, handoff_until, handoff_by, handoff_reason, "
                        "last_inbound_at, updated_at FROM conversations"):
                    infos[row[0]] = _info(row[0], row[1:6])
                    activity[row[0]] = row[6] or 0.0
            if self._has("outbox"):
                for key, latest in conn.execute(
                        "SELECT conversation, max(updated_at) FROM outbox GROUP BY conversation"):
                    activity[key] = max(activity.get(key, 0.0), latest or 0.0)
            names: dict[str, str] = {}
            users: dict[str, str] = {}
            for key, name, user, received in conn.execute(
                    f"SELECT conversation, {FIELD.format('$.contact.profile.name')}, "
                    f"coalesce({FIELD.format('$.contact.user_id')}, "
                    f"{FIELD.format('$.item.from_user_id')}), received_at FROM "
                    "(SELECT conversation, CAST(payload AS TEXT) AS p, received_at FROM events "
                    "WHERE kind = 'message' ORDER BY seq DESC LIMIT ?)", (NAME_SCAN_LIMIT,)):
                remember_latest(names, key, name)
                remember_latest(users, key, user)
                activity[key] = max(activity.get(key, 0.0), received or 0.0)
        return conversation_list(infos, activity, names, users, now, query, limit)

    def funnel(self, since: float) -> list[NumberFunnel]:
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT conversation, {FIELD.format('$.metadata.display_phone_number')}, "
                f"{FIELD.format('$.item.id')}, {FIELD.format('$.item.status')}, "
                f"{FIELD.format('$.item.errors[0].code')} FROM "
                "(SELECT conversation, CAST(payload AS TEXT) AS p FROM events "
                "WHERE kind = 'status' AND received_at >= ?)", (since,)).fetchall()
        return count_funnel(
            (conversation.partition(":")[0], _str(display), wamid, status,
             code if isinstance(code, int) else None)
            for conversation, display, wamid, status, code in rows
            if isinstance(wamid, str) and isinstance(status, str))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
