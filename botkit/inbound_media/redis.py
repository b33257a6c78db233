"""The media index on the Redis store: one hash under the store's key prefix.

Key (``<ns>`` is the store's prefix)::

    <ns>:media     hash: media id -> the kept file's record, JSON

Records do not expire: they describe files that stay until an operator removes them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from botkit.errors import StoreError
from botkit.inbound_media.index import MediaIndex
from botkit.inbound_media.records import KeptMedia


class RedisMediaIndex(MediaIndex):
    """``client()`` gives the connected client (the store's own, in a running bot)."""

    def __init__(self, client: Callable[[], aioredis.Redis], key: str) -> None:
        self._client = client
        self.key = key

    async def get(self, media_id: str) -> KeptMedia | None:
        with _failures("read the media index from"):
            value = await self._client().hget(self.key, media_id)
        return None if value is None else KeptMedia.from_json(value)

    async def put(self, record: KeptMedia) -> None:
        with _failures("write the media index to"):
            await self._client().hset(self.key, record.media_id, record.to_json())


@contextlib.contextmanager
def _failures(what: str) -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        raise StoreError(f"cannot {what} Redis: {type(exc).__name__}: {exc}") from exc
