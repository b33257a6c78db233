"""Where a Redis store keeps what a timeline shows, and reading it with a client of our own.

The event store's layout (``botkit.store``) and the conversation store's
(``botkit.conversations.redis``) under one key prefix, ``<ns>``::

    <ns>:config                 hash: ``partitions``
    <ns>:events:<p>             waiting events (key, kind, conversation, payload, received_at)
    <ns>:history                finished events, newest kept (same fields, plus state, attempts)
    <ns>:dead                   dead letters (key, kind, conversation, plugin, error, attempts,
                                payload, received_at)
    <ns>:quarantine             events that failed their schema (key, kind, conversation,
                                payload, received_at; unreadable bodies have no key)
    <ns>:ledger:<event key>     hash: plugin -> {"state", "attempts", "error"}
    <ns>:conversation:<key>     hash: mode, handoff_until/by/reason, last_inbound_at, updated_at
    <ns>:customer:<customer>    sorted set: the customer's conversation keys
    <ns>:handling:<event key>   hash: handled:<plugin> (commit time), item:<i>:<plugin> (outbox
                                item JSON), status:<i>:<plugin> ([status, result])
    <ns>:timer-specs            hash: pending timer id -> spec JSON
    <ns>:conv-timers:<key>      sorted set: one conversation's pending timer ids

Redis keeps no index of events by conversation or time: streams are scanned, newest first, up to
``SCAN_LIMIT`` entries each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botkit.errors import StoreError

T = TypeVar("T")

SCAN_LIMIT = 20_000
CHUNK = 500
# Options of a redis:// store URL that botkit reads itself (redis-py must not see them).
BOTKIT_OPTIONS = {"prefix", "partitions", "lease_ms", "wait_replicas", "wait_timeout_ms",
                  "history"}


def text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def number(value: bytes | str | None) -> float | None:
    try:
        return float(value) if value not in (None, b"", "") else None
    except ValueError:
        return None


def glob_escape(value: str) -> str:
    """``value`` matched literally in a SCAN pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in value)


class RedisSource:
    """A client for one store URL, the key names under its prefix, and stream scans."""

    def __init__(self, url: str) -> None:
        import redis

        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.prefix = next((value for name, value in query if name == "prefix"), "") or "botkit"
        client_url = urlunsplit(parts._replace(query=urlencode(
            [(name, value) for name, value in query if name not in BOTKIT_OPTIONS])))
        cleaned = urlsplit(client_url)
        self.shown = client_url if cleaned.password is None else urlunsplit(cleaned._replace(
            netloc=f"{cleaned.username or ''}:***@{cleaned.netloc.rpartition('@')[2]}"))
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        # Typed loosely: redis-py's stubs describe every reply as a union of all shapes.
        self.client: Any = redis.Redis.from_url(client_url, socket_connect_timeout=2.0,
                                                socket_timeout=10.0)
        self.partitions = int(self.guard(
            lambda: self.client.hget(self.key("config"), "partitions")) or 0)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def close(self) -> None:
        self.client.close()

    def guard(self, action: Callable[[], T]) -> T:
        """Run ``action``; Redis and network errors become one StoreError without the
        password."""
        try:
            return action()
        except self.errors as exc:
            lines = str(exc).strip().splitlines()
            reason = f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__
            raise StoreError(f"cannot read Redis at {self.shown}: {reason}") from None

    def event_streams(self) -> list[tuple[str, str | None]]:
        """(stream, the state of its events; None: the entry says) in the order an event's
        latest state is found: waiting, finished, then dead letters and quarantined events
        (kept even when the history keeps nothing)."""
        return [*((self.key("events", str(p)), "pending") for p in range(self.partitions)),
                (self.key("history"), None), (self.key("dead"), "dead"),
                (self.key("quarantine"), "quarantined")]

    def dispatched_streams(self) -> list[str]:
        """The streams that hold each dispatched event once: waiting and finished."""
        return [stream for stream, state in self.event_streams()[:-2]]

    def scan(self, stream: str, since_ms: int = 0) -> Iterator[tuple[float, dict[str, bytes]]]:
        """Entries of ``stream`` added since ``since_ms``, newest first, SCAN_LIMIT at most,
        each with a number that orders entries of all streams by when they were added."""
        low, high, seen = f"{since_ms}-0", "+", 0
        while seen < SCAN_LIMIT:
            count = min(CHUNK, SCAN_LIMIT - seen)
            batch = self.client.xrevrange(stream, max=high, min=low, count=count)
            for entry, fields in batch:
                yield _order(text(entry)), {text(name): value for name, value in fields.items()}
            seen += len(batch)
            if len(batch) < count:
                return
            high = "(" + text(batch[-1][0])

    def scan_keys(self, pattern: str) -> Iterator[str]:
        for name in self.client.scan_iter(match=pattern, count=1000):
            yield text(name)


def _order(entry: str) -> float:
    """A stream id (milliseconds-sequence) as one increasing number."""
    millis, _, sequence = entry.partition("-")
    return int(millis) * 1_000_000 + int(sequence or 0)
