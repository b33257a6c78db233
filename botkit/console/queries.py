"""Read-only questions the console asks a store that the admin interface does not answer: how
many events came in per minute, how deep and old the backlog is, which events belong to a number.

Each implementation opens a connection of its own and only reads, so the console never holds up
the webhook's commits: SQLite through a read-only connection to the store's file, Redis by
reading its streams (waiting events, the history of finished ones, dead letters, quarantine).
"""

from __future__ import annotations

import abc
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from botkit.errors import StoreError

T = TypeVar("T")

MINUTES = 60
# Redis keeps no index by time: scanning stops after this many entries of a stream.
SCAN_LIMIT = 20_000
# Stream ids come from Redis's clock, received times from the bot's: look a little wider.
CLOCK_MARGIN_MS = 300_000
# Options of a redis:// store URL that botkit reads itself (redis-py must not see them).
BOTKIT_REDIS_OPTIONS = {"prefix", "partitions", "lease_ms", "wait_replicas", "wait_timeout_ms",
                        "history"}


@dataclass(frozen=True)
class Overview:
    """The state of the store at ``now``; per-minute counts run oldest first, over the last
    hour, the last minute being the current (incomplete) one."""

    now: float
    first_minute: float
    received: tuple[int, ...]
    dead: tuple[int, ...]
    backlog: int
    oldest_pending: float | None
    dead_letters: int
    quarantined: int
    partial: bool = False  # a scan stopped at SCAN_LIMIT: the counts are lower bounds

    def as_json(self) -> dict[str, Any]:
        return {"now": self.now, "first_minute": self.first_minute,
                "received": list(self.received), "dead": list(self.dead),
                "received_last_hour": sum(self.received), "dead_last_hour": sum(self.dead),
                "backlog": self.backlog, "backlog_age_seconds": self.backlog_age,
                "dead_letters": self.dead_letters, "quarantined": self.quarantined,
                "partial": self.partial}

    @property
    def backlog_age(self) -> float | None:
        return None if self.oldest_pending is None else max(0.0, self.now - self.oldest_pending)


def first_minute(now: float) -> float:
    """Where the hour of per-minute counts starts: minutes are whole wall-clock minutes."""
    return (now // 60) * 60 - (MINUTES - 1) * 60


def per_minute(times: list[float], start: float) -> tuple[int, ...]:
    counts = [0] * MINUTES
    for moment in times:
        index = int((moment - start) // 60)
        if 0 <= index < MINUTES:
            counts[index] += 1
    return tuple(counts)


def number_matches(conversation: str, number: str) -> bool:
    """A conversation is ``<business number id>:<customer>``; either side may be asked for."""
    return (conversation == number or conversation.startswith(number + ":")
            or conversation.endswith(":" + number))


class StoreQueries(abc.ABC):
    """Read-only queries over one store; blocking, so call them from a worker thread."""

    @abc.abstractmethod
    def overview(self, now: float) -> Overview: ...

    @abc.abstractmethod
    def event_keys(self, number: str, kind: str | None, state: str | None, limit: int
                   ) -> list[str]:
        """Keys of the newest events of conversations with ``number``."""

    @abc.abstractmethod
    def close(self) -> None: ...


def open_queries(url: str) -> StoreQueries:
    """The queries for a store URL (raises StoreError when the store cannot be read)."""
    if url.startswith("sqlite:"):
        return SQLiteQueries(url)
    if url.startswith(("redis:", "rediss:")):
        return RedisQueries(url)
    raise StoreError(f"unsupported store URL scheme {url.partition(':')[0]!r}")


class SQLiteQueries(StoreQueries):
    """Reads the store's tables (events, deliveries, quarantine, backlog) without writing."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        path = Path(parts.path[1:])
        if not parts.path[1:] or not path.exists():
            raise StoreError(f"no store at {path}")
        self.conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True,
                                    isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout = 2000")

    def close(self) -> None:
        self.conn.close()

    def _one(self, sql: str, *args: Any) -> Any:
        row = self.conn.execute(sql, args).fetchone()
        return row[0] if row else None

    def overview(self, now: float) -> Overview:
        start = first_minute(now)
        try:
            self.conn.execute("BEGIN")  # one read transaction: every number from one moment
            try:
                received = self._per_minute(
                    "SELECT CAST((received_at - ?) / 60 AS INTEGER) AS m, count(*) FROM events "
                    "WHERE received_at >= ? GROUP BY m", start)
                dead = self._per_minute(
                    "SELECT CAST((updated_at - ?) / 60 AS INTEGER) AS m, count(*) FROM deliveries "
                    "WHERE state = 'dead' AND updated_at >= ? GROUP BY m", start)
                backlog = self._one("SELECT pending FROM backlog WHERE id = 1") or 0
                oldest = self._one("SELECT received_at FROM events WHERE state = 'pending' "
                                   "ORDER BY seq LIMIT 1")
                letters = self._one("SELECT count(*) FROM deliveries WHERE state = 'dead'")
                held = self._one("SELECT count(*) FROM quarantine WHERE state = 'held'")
            finally:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the store: {exc}") from None
        return Overview(now, start, received, dead, int(backlog), oldest, int(letters),
                        int(held))

    def _per_minute(self, sql: str, start: float) -> tuple[int, ...]:
        """Counted by the database, grouped by minute since ``start`` (an index range scan)."""
        counts = [0] * MINUTES
        for minute, count in self.conn.execute(sql, (start, start)):
            if 0 <= minute < MINUTES:
                counts[minute] = count
        return tuple(counts)

    def event_keys(self, number: str, kind: str | None, state: str | None, limit: int
                   ) -> list[str]:
        sql = ("SELECT key FROM events WHERE (conversation = ? OR substr(conversation, 1, ?) = ? "
               "OR substr(conversation, -?) = ?)")
        args: list[Any] = [number, len(number) + 1, number + ":", len(number) + 1, ":" + number]
        for column, value in (("kind", kind), ("state", state)):
            if value:
                sql += f" AND {column} = ?"
                args.append(value)
        try:
            rows = self.conn.execute(sql + " ORDER BY seq DESC LIMIT ?", [*args, limit])
            return [row[0] for row in rows]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the store: {exc}") from None


def redis_location(url: str) -> tuple[str, str, str]:
    """(URL for redis-py, the same without its password for messages, key prefix)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for name, value in query if name == "prefix"), "") or "botkit"
    client = urlunsplit(parts._replace(query=urlencode(
        [(name, value) for name, value in query if name not in BOTKIT_REDIS_OPTIONS])))
    cleaned = urlsplit(client)
    shown = client if cleaned.password is None else urlunsplit(cleaned._replace(
        netloc=f"{cleaned.username or ''}:***@{cleaned.netloc.rpartition('@')[2]}"))
    return client, shown, prefix


class RedisQueries(StoreQueries):
    """Reads the streams of a Redis store: ``events:<p>`` (waiting), ``history`` (finished, the
    newest kept), ``dead`` and ``quarantine``."""

    def __init__(self, url: str) -> None:
        import redis

        client_url, self.shown, self.prefix = redis_location(url)
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        # Typed loosely: redis-py's stubs describe every reply as a union of all shapes.
        self.client: Any = redis.Redis.from_url(client_url, socket_connect_timeout=2.0,
                                                socket_timeout=10.0)
        self.partitions = int(self._guard(
            lambda: self.client.hget(f"{self.prefix}:config", "partitions")) or 0)

    def close(self) -> None:
        self.client.close()

    def _guard(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except self.errors as exc:
            raise StoreError(f"cannot read Redis at {self.shown}: {type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:200] if str(exc) else ''}") from None

    def _streams(self) -> list[str]:
        return [f"{self.prefix}:events:{p}" for p in range(self.partitions)]

    def _scan(self, stream: str, since_ms: int, *, newest_first: bool = True
              ) -> tuple[list[dict[bytes, bytes]], bool]:
        """Entries added since ``since_ms`` (up to SCAN_LIMIT); True when it stopped there."""
        found: list[dict[bytes, bytes]] = []
        low, high = f"{since_ms}-0", "+"
        while len(found) < SCAN_LIMIT:
            count = min(500, SCAN_LIMIT - len(found))
            if newest_first:
                batch = self.client.xrevrange(stream, max=high, min=low, count=count)
            else:
                batch = self.client.xrange(stream, min=low, max=high, count=count)
            found += [fields for _, fields in batch]
            if len(batch) < count:
                return found, False
            last = batch[-1][0].decode()
            high, low = (f"({last}", low) if newest_first else (high, f"({last}")
        return found, True

    def overview(self, now: float) -> Overview:
        return self._guard(lambda: self._overview(now))

    def _overview(self, now: float) -> Overview:
        start = first_minute(now)
        since_ms = max(0, int(start * 1000) - CLOCK_MARGIN_MS)
        received: dict[bytes, float] = {}
        partial = False
        sources = [*((s, False) for s in self._streams()),
                   (f"{self.prefix}:history", True), (f"{self.prefix}:quarantine", True)]
        for stream, newest_first in sources:
            entries, stopped = self._scan(stream, since_ms, newest_first=newest_first)
            partial |= stopped
            for fields in entries:
                key, kind = fields.get(b"key"), fields.get(b"kind", b"")
                if key and kind not in (b"body", b"unknown"):
                    received.setdefault(key, _seconds(fields.get(b"received_at")))
        letters, stopped = self._scan(f"{self.prefix}:dead", since_ms)
        pipe = self.client.pipeline(transaction=False)
        for stream in self._streams():
            pipe.xlen(stream)
            pipe.xrange(stream, "-", "+", count=1)
        pipe.xlen(f"{self.prefix}:dead")
        pipe.xlen(f"{self.prefix}:quarantine")
        replies = pipe.execute()
        firsts = [_seconds(entries[0][1].get(b"received_at"))
                  for entries in replies[1:-2:2] if entries]
        return Overview(now, start, per_minute(list(received.values()), start),
                        per_minute([_seconds(f.get(b"failed_at")) for f in letters], start),
                        sum(replies[0:-2:2]), min(firsts) if firsts else None,
                        int(replies[-2]), int(replies[-1]), partial or stopped)

    def event_keys(self, number: str, kind: str | None, state: str | None, limit: int
                   ) -> list[str]:
        return self._guard(lambda: self._event_keys(number, kind, state, limit))

    def _event_keys(self, number: str, kind: str | None, state: str | None, limit: int
                    ) -> list[str]:
        sources: list[tuple[str, str | None, bool]] = [
            (stream, "pending", False) for stream in self._streams()]
        sources += [(f"{self.prefix}:history", None, True),
                    (f"{self.prefix}:quarantine", "quarantined", True)]
        keys: list[str] = []
        seen: set[str] = set()  # the first entry of a key is its latest state
        for stream, stream_state, newest_first in sources:
            entries, _ = self._scan(stream, 0, newest_first=newest_first)
            for fields in entries:
                key = fields.get(b"key", b"").decode(errors="replace")
                if not key or key in seen:
                    continue
                seen.add(key)
                row_state = stream_state or fields.get(b"state", b"done").decode()
                conversation = fields.get(b"conversation", b"").decode(errors="replace")
                if (number_matches(conversation, number)
                        and (not kind or fields.get(b"kind", b"").decode() == kind)
                        and (not state or row_state == state)):
                    keys.append(key)
                    if len(keys) >= limit:
                        return keys
        return keys


def _seconds(value: bytes | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0
