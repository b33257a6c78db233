"""The media index: which file was kept for which media id, beside the store's events.

It lives in the bot's own store (a table in the SQLite file, a hash on Redis) so that every
process that dispatches events sees the same answers, and a redelivered event finds the file
that an earlier attempt, or another process, already kept.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from botkit.inbound_media.records import KeptMedia

if TYPE_CHECKING:
    from botkit.store.base import Store


class MediaIndex(abc.ABC):
    """Media id -> :class:`KeptMedia`."""

    async def open(self) -> None:  # noqa: B027 - stores without a schema need nothing here
        """Prepare the index (create its table); called once before first use."""

    @abc.abstractmethod
    async def get(self, media_id: str) -> KeptMedia | None:
        """The record for ``media_id``, or None when nothing was kept for it."""

    @abc.abstractmethod
    async def put(self, record: KeptMedia) -> None:
        """Add or replace the record of ``record.media_id``."""


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
