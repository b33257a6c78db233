"""The small checks every builder repeats: a text within its limit, an id, a URL, a count.

Each raises the named :mod:`~botkit.whatsapp.builders.errors` error for its field, so the
builders read as a list of Meta's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from botkit.whatsapp.builders.errors import (
    DuplicateId,
    EmptyText,
    InvalidId,
    InvalidUrl,
    MessageBuildError,
    TextTooLong,
    TooFewItems,
    TooManyItems,
)


def text(value: Any, field: str, limit: int | None = None) -> str:
    """``value`` when it is a non-blank string of at most ``limit`` characters."""
    if not isinstance(value, str):
        raise MessageBuildError(field, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise EmptyText(field)
    if limit is not None and len(value) > limit:
        raise TextTooLong(field, limit, len(value))
    return value


def optional_text(value: Any, field: str, limit: int | None = None) -> str | None:
    return None if value is None else text(value, field, limit)


def identifier(value: Any, field: str, limit: int) -> str:
    """An id a reply comes back with: a string, or typed callback data (its ``pack()``)."""
    if not isinstance(value, str) and callable(getattr(value, "pack", None)):
        value = value.pack()
    checked = text(value, field, limit)
    if checked != checked.strip():
        raise InvalidId(field, f"must not start or end with spaces, got {checked!r}")
    return checked


def unique(values: Sequence[str], field: str) -> None:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise DuplicateId(field, repeated)


def url(value: Any, field: str) -> str:
    """An absolute http(s) URL."""
    checked = text(value, field)
    parts = urlsplit(checked)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(
            c.isspace() for c in checked):
        raise InvalidUrl(field, value)
    return checked


def count(items: Sequence[Any], field: str, maximum: int, *, minimum: int = 1,
          too_many: type[TooManyItems] = TooManyItems) -> None:
    if len(items) < minimum:
        raise TooFewItems(field, minimum, len(items))
    if len(items) > maximum:
        raise too_many(field, maximum, len(items))
