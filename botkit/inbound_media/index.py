"""The media index: which file was kept for which media id, beside the store's events.

It lives in the bot's own store (a table in the SQLite file, a hash on Redis) so that every
process that dispatches events sees the same answers, and a redelivered event finds the file
that an earlier attempt, or another process, already kept.
"""

from __future__ import annotations

import abc

from botkit.inbound_media.records import KeptMedia


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
