"""Running the Redis store's Lua scripts: registered once per connection, called by their SHA in
pipelines (many key and argument sets in one round trip), loaded again when Redis has lost its
script cache (a restart, a failover), and confirmed by replicas with WAIT when asked.

Kept apart from :class:`~botkit.store.redis.RedisStore` so that the store reads as what each
step does, not how a script reaches Redis.
"""

from __future__ import annotations

from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from botkit.errors import StoreError
from botkit.store import _redis_scripts as lua
from botkit.store._redis_layout import RedisOptions, redis_failures

# Name -> source of every script the store runs (see ``_redis_scripts``).
SCRIPT_SOURCES = (
    ("append", lua.APPEND), ("settle", lua.SETTLE), ("record", lua.RECORD_DELIVERY),
    ("quarantine_event", lua.QUARANTINE_EVENT), ("heartbeat", lua.HEARTBEAT),
    ("renew", lua.RENEW), ("acquire", lua.ACQUIRE), ("release", lua.RELEASE),
)


class ScriptingStore(Protocol):
    """What running scripts uses of the store: its options and its open connection."""

    options: RedisOptions

    @property
    def client(self) -> aioredis.Redis: ...


def register_scripts(client: aioredis.Redis) -> dict[str, Any]:
    """Every script of :data:`SCRIPT_SOURCES` bound to ``client``, by name."""
    return {name: client.register_script(source) for name, source in SCRIPT_SOURCES}


async def run_pipelined(store: ScriptingStore, name: str, script: Any,
                        calls: list[tuple[list[str], list[Any]]], *,
                        wait_replicas: int = 0) -> list[Any]:
    """Run ``script`` for many key/argument sets in one round trip; with ``wait_replicas`` also
    WAIT, on the same connection, until that many replicas have the writes."""
    results: list[Any] = [None] * len(calls)
    todo = list(range(len(calls)))
    with redis_failures(f"run {name} on", store.options.shown):
        for _ in range(2):
            pipe = store.client.pipeline(transaction=False)
            for i in todo:
                keys, args = calls[i]
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            if wait_replicas:
                pipe.execute_command("WAIT", wait_replicas, store.options.wait_timeout_ms)
            replies = await pipe.execute(raise_on_error=False)
            copies = replies.pop() if wait_replicas else 0
            for i, reply in zip(todo, replies, strict=True):
                results[i] = reply
            todo = [i for i in todo if isinstance(results[i], NoScriptError)]
            if todo:  # Redis restarted or failed over: load the script and run the rest
                await store.client.script_load(script.script)
                continue
            for reply in (*results, copies):
                if isinstance(reply, Exception):
                    raise reply
            if int(copies) < wait_replicas:
                raise StoreError(
                    f"only {copies} of {wait_replicas} replica(s) confirmed the write within "
                    f"{store.options.wait_timeout_ms} ms; it may not survive a failover")
            return results
        raise StoreError(f"Redis at {store.options.shown} keeps losing its scripts")
