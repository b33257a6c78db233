"""Where the Redis store keeps what: the store URL's options, key names, entry fields.

Events go to one of P partition streams by a stable hash of their conversation. Each partition
is read by one instance at a time, the holder of its lease, through the consumer group
``botkit``: events of one conversation stay in order across instances, and entries left pending
by an instance that died are claimed again by the next holder of the lease.

Keys (``<ns>`` is the URL's ``prefix``, default ``botkit``)::

    <ns>:seen:<key>     dedupe marker, expires after the dedupe window
    <ns>:events:<p>     partition stream p (consumer group "botkit"): events waiting
    <ns>:lease:<p>      instance id of the reader of partition p (expires unless renewed)
    <ns>:instances      sorted set of live consumers (their lease expiry as score)
    <ns>:ledger:<key>   per-plugin delivery rows of an event, JSON, expires with the window
    <ns>:history        finished events with their payload, the newest ``history`` kept (stream)
    <ns>:dead           dead letters (stream)
    <ns>:quarantine     authentic input that cannot be dispatched (stream)
    <ns>:reprocessed    quarantined items handed to dispatch again (stream, the newest kept)
    <ns>:config         settings every instance must share (the partition count)

Event entries carry ``key``, ``kind``, ``conversation``, ``occurred_at``, ``payload`` and
``received_at``; a replayed event also carries ``attempts``, how often it was handed out before.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis.exceptions import RedisError

from botkit.errors import StoreError
from botkit.store.records import Delivery, EventRecord, Reject

GROUP = "botkit"
DEFAULT_PREFIX = "botkit"
DEFAULT_PARTITIONS = 16
DEFAULT_LEASE_MS = 10_000
DEFAULT_WAIT_TIMEOUT_MS = 1_000
DEFAULT_HISTORY = 50_000
REPROCESSED_KEPT = 10_000
SETTLED_STATES = frozenset({"done", "dead"})


@dataclass(frozen=True)
class RedisOptions:
    """A ``redis://`` store URL split into what redis-py connects to and botkit's own options."""

    client_url: str
    shown: str  # the URL without its password, for messages
    prefix: str = DEFAULT_PREFIX
    partitions: int = DEFAULT_PARTITIONS
    lease_ms: int = DEFAULT_LEASE_MS
    wait_replicas: int = 0
    wait_timeout_ms: int = DEFAULT_WAIT_TIMEOUT_MS
    history: int = DEFAULT_HISTORY


OPTION_LIMITS = {  # name: (lowest, highest)
    "partitions": (1, 1024),
    "lease_ms": (500, 600_000),
    "wait_replicas": (0, 100),
    "wait_timeout_ms": (1, 600_000),
    "history": (0, 10_000_000),
}


def parse_redis_url(url: str) -> RedisOptions:
    """Take botkit's options (``prefix``, ``partitions``, ``lease_ms``, ``wait_replicas``,
    ``wait_timeout_ms``, ``history``) out of the query; the rest of the URL is redis-py's."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise StoreError(f"not a redis URL: {without_password(url)!r} "
                         "(expected redis://host:port/db or rediss://...)")
    ours: dict[str, Any] = {}
    theirs = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "prefix":
            if not value or any(c.isspace() for c in value):
                raise StoreError(f"store URL option prefix={value!r}: expected a non-empty "
                                 "name without spaces")
            ours[name] = value
        elif name in OPTION_LIMITS:
            low, high = OPTION_LIMITS[name]
            if not value.isdigit() or not low <= int(value) <= high:
                raise StoreError(f"store URL option {name}={value!r}: expected a whole number "
                                 f"from {low} to {high}")
            ours[name] = int(value)
        else:
            theirs.append((name, value))
    client_url = urlunsplit(parts._replace(query=urlencode(theirs)))
    return RedisOptions(client_url=client_url, shown=without_password(client_url), **ours)


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    _, _, host = parts.netloc.rpartition("@")  # host and port as written
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def partition_of(conversation: str, partitions: int) -> int:
    """The partition of a conversation: the same in every process and on every machine."""
    return zlib.crc32(conversation.encode()) % partitions


def new_instance_id() -> str:
    """Names this process in leases and as a consumer: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Keys:
    """The key names under one namespace prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.dead = f"{prefix}:dead"
        self.quarantine = f"{prefix}:quarantine"
        self.instances = f"{prefix}:instances"
        self.config = f"{prefix}:config"
        self.history = f"{prefix}:history"
        self.reprocessed = f"{prefix}:reprocessed"

    def events(self, partition: int) -> str:
        return f"{self.prefix}:events:{partition}"

    def lease(self, partition: int) -> str:
        return f"{self.prefix}:lease:{partition}"

    def seen(self, key: str) -> str:
        return f"{self.prefix}:seen:{key}"

    def ledger(self, key: str) -> str:
        return f"{self.prefix}:ledger:{key}"

    def append_call(self, partitions: int, ttl: int, now: float, records: Sequence[EventRecord],
                    rejects: Sequence[Reject] = ()) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV of the append script (see ``_redis_scripts.APPEND``)."""
        keys = [self.quarantine]
        args: list[Any] = [ttl, repr(now), len(records)]
        for r in records:
            keys += [self.seen(r.key), self.events(partition_of(r.conversation, partitions))]
            args += [r.key, r.kind, r.conversation,
                     "" if r.occurred_at is None else r.occurred_at, r.payload]
        for reject in rejects:
            args += [reject.reason, reject.fragment]
        return keys, args


def describe(exc: BaseException) -> str:
    """A short reason: the first line of the error, never the command that carried a payload."""
    message = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {message.splitlines()[0][:300]}" if message else name


@contextlib.contextmanager
def redis_failures(action: str, shown: str) -> Iterator[None]:
    """Redis and network errors as one StoreError: "cannot <action> Redis at <shown>: ..."."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StoreError(f"cannot {action} Redis at {shown}: {describe(exc)}") from None


def ledger_row(delivery: Delivery) -> str:
    return json.dumps({"state": delivery.state, "attempts": delivery.attempts,
                       "error": delivery.error})


def ledger_state(row: bytes) -> str | None:
    """The state in a ledger row; a row botkit cannot read counts as not finished."""
    try:
        value = json.loads(row)
    except ValueError:
        return None
    return value.get("state") if isinstance(value, dict) else None


def split_token(token: str | None) -> tuple[int, str]:
    if not token or ":" not in token:
        raise StoreError(f"event token {token!r} is not from a redis store")
    partition, _, entry = token.partition(":")
    return int(partition), entry


def entry_seq(entry: str) -> int:
    """An increasing number from a stream id (milliseconds, sequence)."""
    millis, _, sequence = entry.partition("-")
    return (int(millis) << 20) | (int(sequence or 0) & 0xFFFFF)


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def loose_json(fields: dict) -> str:
    """Fields of a foreign stream entry as JSON, whatever bytes they hold."""
    return json.dumps({loose(k): loose(v) for k, v in fields.items()})


def loose(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def stream_entries(entries: Any) -> Iterator[tuple[bytes, dict]]:
    """Stream entries as (id, fields) whatever shape the protocol version gives them."""
    for entry_id, fields in entries:
        if isinstance(fields, list):
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        if fields:
            yield entry_id, fields

