"""Durable inbox stores: ``sqlite://`` (embedded default) and ``redis://`` (several instances).

The factories for both sides of a store live here, beside the stores they build:
:func:`open_store` for the running bot, :func:`open_admin` for the operator commands and the
console. Each backend is imported only when its URL is used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botkit.errors import StoreError
from botkit.settings import StoreSettings
from botkit.store.base import Store
from botkit.store.records import AppendResult, Delivery, StoredEvent

if TYPE_CHECKING:
    from botkit.store.admin import StoreAdmin

__all__ = ["AppendResult", "Delivery", "Store", "StoredEvent", "open_admin", "open_store"]


def open_store(settings: StoreSettings, clock: Callable[[], float] | None = None) -> Store:
    """The store for ``settings.url`` (not yet opened)."""
    clock = clock or time.time
    if settings.url.startswith("sqlite:"):
        from botkit.store.sqlite import SQLiteStore

        return SQLiteStore(settings.url, durability=settings.durability,
                           dedupe_seconds=settings.dedupe_seconds,
                           quarantine_seconds=settings.quarantine_seconds,
                           dead_letter_seconds=settings.dead_letter_seconds, clock=clock)
    if settings.url.startswith(("redis:", "rediss:")):
        from botkit.store.redis import RedisStore

        return RedisStore(settings.url, dedupe_seconds=settings.dedupe_seconds,
                          quarantine_seconds=settings.quarantine_seconds,
                          dead_letter_seconds=settings.dead_letter_seconds, clock=clock)
    raise _unsupported(settings.url)


def open_admin(settings: StoreSettings) -> StoreAdmin:
    """The admin interface for the configured store (raises StoreError when unreachable)."""
    if settings.url.startswith("sqlite:"):
        from botkit.store.sqlite_admin import SQLiteAdmin

        return SQLiteAdmin(settings.url)
    if settings.url.startswith(("redis:", "rediss:")):
        from botkit.store.redis_admin import RedisAdmin

        return RedisAdmin(settings.url, dedupe_seconds=settings.dedupe_seconds)
    raise _unsupported(settings.url)


def _unsupported(url: str) -> StoreError:
    # The URL may hold a password: name the scheme only.
    scheme = url.partition(":")[0]
    return StoreError(f"unsupported store URL scheme {scheme!r}: use sqlite:// or redis://")
