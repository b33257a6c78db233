"""Reading a Redis store's streams as rows for the admin commands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import redis

from botkit.json_codec import from_json
from botkit.store._redis_layout import text
from botkit.store.admin import AdminError

STREAM_ID = re.compile(r"^\d+-\d+$")
CHUNK = 500  # entries fetched per round trip when scanning a stream


def scan_stream(client: redis.Redis, stream: str, *, newest_first: bool = False
                ) -> Iterator[tuple[str, dict[str, bytes]]]:
    """A stream's entries (oldest first, or newest first), a chunk per round trip."""
    low, high = "-", "+"
    while True:
        if newest_first:
            batch = client.xrevrange(stream, max=high, min=low, count=CHUNK)
        else:
            batch = client.xrange(stream, min=low, max=high, count=CHUNK)
        for entry_id, fields in batch:
            yield text(entry_id), {text(name): value for name, value in fields.items()}
        if len(batch) < CHUNK:
            return
        last = "(" + text(batch[-1][0])
        high, low = (last, low) if newest_first else (high, last)


def event_row(fields: dict[str, bytes], state: str) -> dict[str, Any] | None:
    """An event as a row, from any stream entry that carries one (None: not an event)."""
    try:
        key, kind = text(fields["key"]), text(fields["kind"])
    except (KeyError, UnicodeDecodeError):
        return None
    conversation = text(fields.get("conversation", b"")) or key
    return {"key": key, "kind": kind, "state": state, "conversation": conversation,
            "attempts": number(fields.get("attempts"), int) or 0,
            "received_at": number(fields.get("received_at"), float) or None,
            "payload": bytes(fields.get("payload", b""))}


def delivery_row(plugin: str, value: bytes) -> dict[str, Any]:
    try:
        row = from_json(value)
    except ValueError:
        row = {}
    row = row if isinstance(row, dict) else {}
    return {"plugin": plugin, "state": row.get("state"), "attempts": row.get("attempts"),
            "error": row.get("error")}


def number(value: bytes | None, kind: type) -> Any:
    try:
        return kind(value) if value not in (None, b"") else None
    except ValueError:
        return None


def decoded(payload: bytes) -> Any:
    try:
        return from_json(payload)
    except ValueError:
        return payload.decode(errors="replace")


def check_ids(ids: tuple[str, ...]) -> None:
    bad = [i for i in ids if not STREAM_ID.match(i)]
    if bad:
        raise AdminError(f"{bad[0]!r} is not a quarantine id of a Redis store (they look "
                         "like 1764000000000-0)")
