"""The media index that lives beside a store.

Kept apart from the index's interface so that the backends import the interface and only this
module imports the backends; a backend's module is imported when its store is in use, so a
SQLite deployment never loads the Redis client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit.inbound_media.index import MediaIndex

if TYPE_CHECKING:
    from botkit.store.base import Store


def open_media_index(store: Store) -> MediaIndex:
    """The index that lives beside ``store`` (an open store, or one about to be opened)."""
    from botkit.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        from botkit.inbound_media.sqlite import SQLiteMediaIndex

        return SQLiteMediaIndex(store.run_job)
    from botkit.store.redis import RedisStore

    if isinstance(store, RedisStore):
        from botkit.inbound_media.redis import RedisMediaIndex

        redis_store = store
        return RedisMediaIndex(lambda: redis_store.client, f"{store.keys.prefix}:media")
    raise TypeError(f"no media index for {type(store).__name__}")
