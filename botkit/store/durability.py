"""Whether the configured store keeps every event it acknowledged, for ``botkit doctor store``:
the same checks a Redis store logs at start-up, and on SQLite what ``durability`` promises."""

from __future__ import annotations

import asyncio
from typing import Any

from botkit.settings import StoreSettings


def store_durability(settings: StoreSettings) -> tuple[list[str], list[str]]:
    """(facts, warnings): what the store is set to, and each way it can lose an acknowledged
    event, naming the setting to change. Raises StoreError when it cannot be reached."""
    if settings.url.startswith("sqlite:"):
        from botkit.store.sqlite import sqlite_path

        facts = [f"store: SQLite at {sqlite_path(settings.url)}, durability "
                 f"{settings.durability!r}"]
        if settings.durability != "full":
            return facts, ["[store] durability is \"normal\": a commit is not synced to disk "
                           "before the webhook answers 200, so a power cut can lose the last "
                           "acknowledged events; set durability = \"full\""]
        return facts, []
    return asyncio.run(_redis_durability(settings.url))


async def _redis_durability(url: str) -> tuple[list[str], list[str]]:
    import redis.asyncio as aioredis

    from botkit.store._redis_checks import persistence_warnings, read_persistence
    from botkit.store._redis_layout import parse_redis_url, redis_failures

    options = parse_redis_url(url)
    client: Any = aioredis.Redis.from_url(options.client_url, socket_connect_timeout=2.0,
                                          socket_timeout=10.0)
    try:
        with redis_failures("connect to", options.shown):
            found = await read_persistence(client)
    finally:
        await client.aclose()
    facts = [f"store: Redis at {options.shown}"] + [
        f"  {name}: {value if value is not None else 'unknown'}"
        for name, value in found.items()]
    return facts, persistence_warnings(found, options)
