"""Which template cache lives beside a store: the server's, on the store's own connection, and a
command's, on one of its own.

Kept apart from the cache's interface so that the backends import the interface and only this
module imports the backends. A backend's module is imported when its store is in use, so a
SQLite deployment never loads the Redis client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botkit.message_templates.cache import TemplateCache

if TYPE_CHECKING:
    from botkit.settings import StoreSettings
    from botkit.store.base import Store


def open_template_cache(store: Store) -> TemplateCache:
    """The cache that lives beside ``store`` (an open store, or one about to be opened)."""
    from botkit.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        from botkit.message_templates.sqlite import SQLiteTemplateCache

        return SQLiteTemplateCache(store.run_job)
    from botkit.store.redis import RedisStore

    if isinstance(store, RedisStore):
        from botkit.message_templates.redis import RedisTemplateCache

        redis_store = store
        return RedisTemplateCache(lambda: redis_store.client, store.keys.prefix)
    raise TypeError(f"no template cache for {type(store).__name__}")


async def open_template_cache_admin(
    settings: StoreSettings, *, create: bool = False,
) -> tuple[TemplateCache, Callable[[], Awaitable[Any]]]:
    """The cache for a command run beside a server: (cache, close).

    On SQLite each step runs in its own short transaction on its own connection (the server
    keeps its own); ``create`` makes the store file when there is none yet. On Redis it is the
    server's data, through a client of its own.
    """
    if settings.url.startswith("sqlite:"):
        from botkit.message_templates.sqlite import SQLiteTemplateCache, own_connection_runner

        cache: TemplateCache = SQLiteTemplateCache(own_connection_runner(settings.url,
                                                                         create=create))
        await cache.open()

        async def close_nothing() -> None:
            return None
        return cache, close_nothing
    from botkit.message_templates.redis import open_redis_cache

    return await open_redis_cache(settings.url)
