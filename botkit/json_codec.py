"""JSON as botkit stores and reads it, and Meta's timestamps.

orjson for speed, with the standard library as the fallback for what orjson refuses (integers
beyond 64 bits), so that every authentic body can be stored and read back exactly.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson


def to_json(value: Any, *, sort_keys: bool = False) -> bytes:
    """Compact JSON; falls back to the standard library for numbers beyond 64 bits."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        try:
            return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"),
                              ensure_ascii=False, default=repr).encode()
        except RecursionError:
            raise ValueError("JSON nested too deeply to store") from None


def from_json(data: bytes) -> Any:
    """Parse JSON bytes fast; numbers beyond what orjson holds fall back to exact parsing.

    Raises ``ValueError`` (with orjson's reason) for anything that is not valid UTF-8 JSON.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            return json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):
            raise exc from None


def digest(value: Any) -> str:
    """A short stable hash of a JSON value, independent of key order."""
    return hashlib.sha256(to_json(value, sort_keys=True)).hexdigest()[:32]


def unix_time(value: Any) -> int | None:
    """Meta sends timestamps as strings of digits (messages, statuses) or integers (entries)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        return int(value)
    return None
