"""What a Redis store holds: keys by family, the streams' lengths and oldest entries, and the
server's memory, for ``botkit store stats``.

Every key is counted with ``SCAN`` under the store's prefix (a read that does not block the
server, at the cost of a few round trips per 10,000 keys).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any

import redis

from botkit.errors import StoreError
from botkit.store._redis_layout import Keys, parse_redis_url, redis_failures, text

SCAN_COUNT = 10_000


def family_of(key: str, prefix: str) -> str:
    """``seen`` for ``<prefix>:seen:<event key>``: the name part right after the prefix."""
    rest = key[len(prefix) + 1:]
    return rest.partition(":")[0]


def redis_stats(url: str) -> dict[str, Any]:
    """Keys by family (with memory), streams, and the server's memory use."""
    options = parse_redis_url(url)
    keys = Keys(options.prefix)
    client = redis.Redis.from_url(options.client_url, socket_connect_timeout=2.0,
                                  socket_timeout=30.0)
    with contextlib.closing(client), redis_failures("read the store on", options.shown):
        if not client.exists(keys.config):
            raise StoreError(f"no botkit store under prefix {options.prefix!r} at "
                             f"{options.shown}")
        counts: Counter[str] = Counter()
        for key in client.scan_iter(match=f"{_glob(options.prefix)}:*", count=SCAN_COUNT):
            counts[family_of(text(key), options.prefix)] += 1
        streams = [keys.events(p) for p in range(options.partitions)] + [
            keys.history, keys.dead, keys.quarantine, keys.reprocessed]
        pipe = client.pipeline(transaction=False)
        for stream in streams:
            pipe.xlen(stream)
            pipe.xrange(stream, "-", "+", count=1)
            pipe.memory_usage(stream)
        replies = pipe.execute(raise_on_error=False)
        memory = client.info("memory")
    kinds: list[dict[str, Any]] = [{"kind": f"keys {family}", "count": count, "oldest": None}
             for family, count in sorted(counts.items())]
    for index, stream in enumerate(streams):
        length, first, used = replies[3 * index: 3 * index + 3]
        if isinstance(length, Exception) or not length:
            continue
        oldest = None
        if first and not isinstance(first, Exception):
            oldest = int(text(first[0][0]).partition("-")[0]) / 1000
        kinds.append({"kind": f"stream {stream[len(options.prefix) + 1:]}", "count": length,
                      "oldest": oldest,
                      "bytes": None if isinstance(used, Exception) else used})
    return {"store": options.shown, "kinds": kinds, "space": {
        "used_memory_bytes": memory.get("used_memory"),
        "maxmemory_bytes": memory.get("maxmemory"),
        "maxmemory_policy": text(memory.get("maxmemory_policy", "")) or None,
    }}


def _glob(prefix: str) -> str:
    """``prefix`` with SCAN's pattern characters escaped."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in prefix)
