"""Durable inbox stores: ``sqlite://`` (embedded default) and ``redis://`` (several instances)."""

from __future__ import annotations

from botkit.errors import StoreError
from botkit.settings import StoreSettings
from botkit.store.base import Store
from botkit.store.records import AppendResult, Delivery, StoredEvent

__all__ = ["AppendResult", "Delivery", "Store", "StoredEvent", "open_store"]


def open_store(settings: StoreSettings, clock=None) -> Store:
    """The store for ``settings.url`` (not yet opened)."""
    import time

    clock = clock or time.time
    if settings.url.startswith("sqlite:"):
        from botkit.store.sqlite import SQLiteStore

        return SQLiteStore(settings.url, durability=settings.durability,
                           dedupe_seconds=settings.dedupe_seconds, clock=clock)
    if settings.url.startswith(("redis:", "rediss:")):
        from botkit.store.redis import RedisStore

        return RedisStore(settings.url, dedupe_seconds=settings.dedupe_seconds, clock=clock)
    scheme = settings.url.partition(":")[0]
    raise StoreError(f"unsupported store URL scheme {scheme!r}: use sqlite:// or redis://")
