"""What a Redis store checks about its server when it opens: a version that runs its scripts,
the partition count every instance shares, and whether the server keeps what it acknowledged.

The last is advice, not a refusal: botkit cannot make Redis durable, but it says, at start-up
and in ``botkit doctor store``, which setting can lose an event botkit answered 200 for
(restart, power cut, failover, eviction) and what to set instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from redis.exceptions import RedisError

from botkit.errors import StoreError
from botkit.store._redis_layout import Keys, RedisOptions

log = logging.getLogger("botkit.store.redis")


async def check_version(client: Any, options: RedisOptions) -> None:
    """The scripts need Redis 7 (script flags); say so rather than fail obscurely later."""
    version = str((await client.info("server")).get("redis_version", "0"))
    major = version.split(".")[0]
    if not major.isdigit() or int(major) < 7:
        raise StoreError(f"Redis at {options.shown} is version {version}; botkit needs Redis "
                         "7.0 or newer")


async def check_partitions(client: Any, options: RedisOptions, keys: Keys) -> None:
    """Every instance must split events the same way, or some would never be read."""
    wanted = options.partitions
    await client.hsetnx(keys.config, "partitions", wanted)
    stored = int(await client.hget(keys.config, "partitions") or wanted)
    if stored != wanted:
        raise StoreError(
            f"the store under prefix {options.prefix!r} has {stored} partitions but this "
            f"instance is configured with partitions={wanted}; use the same value everywhere "
            "(or a new prefix)")


async def warn_if_not_durable(client: Any, options: RedisOptions) -> list[str]:
    """Log (WARNING) each setting of the server that can lose acknowledged events; returns
    the warnings."""
    warnings = persistence_warnings(await read_persistence(client), options)
    for warning in warnings:
        log.warning("acknowledged events could be lost: %s", warning)
    return warnings


async def read_persistence(client: Any) -> dict[str, str | None]:
    """``appendonly``, ``appendfsync``, ``maxmemory-policy``, ``role`` and
    ``connected_slaves``; a setting that cannot be read (CONFIG disabled, as on many managed
    services) is None, except what INFO also tells."""
    found: dict[str, str | None] = {"appendonly": None, "appendfsync": None,
                                    "maxmemory-policy": None}
    try:
        config = await client.config_get("appendonly", "appendfsync", "maxmemory-policy")
    except RedisError:
        config = {}
    for name in found:
        value = _text(_get(config, name))
        found[name] = value
    try:
        info: Mapping[str, Any] = {**await client.info("persistence"),
                                   **await client.info("replication"),
                                   **await client.info("memory")}
    except RedisError:
        info = {}
    if found["appendonly"] is None and "aof_enabled" in info:
        found["appendonly"] = "yes" if str(info["aof_enabled"]) == "1" else "no"
    if found["maxmemory-policy"] is None and "maxmemory_policy" in info:
        found["maxmemory-policy"] = _text(info["maxmemory_policy"])
    found["role"] = _text(info.get("role"))
    found["connected_slaves"] = _text(info.get("connected_slaves"))
    return found


def persistence_warnings(found: Mapping[str, str | None], options: RedisOptions) -> list[str]:
    """One sentence per setting that can lose an acknowledged event, naming the setting."""
    where = f"Redis at {options.shown}"
    warnings = []
    appendonly, fsync = found.get("appendonly"), found.get("appendfsync")
    if appendonly == "no":
        warnings.append(f"{where} has appendonly no: a restart of Redis loses every event "
                        "acknowledged since its last snapshot; set appendonly yes")
    elif appendonly is None:
        warnings.append(f"{where} does not say whether appendonly is on (CONFIG GET is not "
                        "allowed); make sure appendonly is yes, or acknowledged events are "
                        "lost when Redis restarts")
    if appendonly != "no":
        if fsync == "everysec":
            warnings.append(f"{where} has appendfsync everysec: a power cut or kernel crash "
                            "of the Redis machine can lose about the last second of "
                            "acknowledged events; set appendfsync always to lose none")
        elif fsync == "no":
            warnings.append(f"{where} has appendfsync no: the operating system decides when "
                            "the append-only file reaches the disk, so a power cut can lose "
                            "many seconds of acknowledged events; set appendfsync always")
        elif fsync is None:
            warnings.append(f"{where} does not say its appendfsync (CONFIG GET is not "
                            "allowed); make sure it is always (or everysec, which can lose "
                            "the last second of events on a power cut)")
    policy = found.get("maxmemory-policy")
    if policy is not None and policy != "noeviction":
        warnings.append(f"{where} has maxmemory-policy {policy}: when full, Redis may evict "
                        "dedupe keys (events dispatched twice) or event streams (events "
                        "lost); set maxmemory-policy noeviction")
    warnings += _replica_warnings(where, found, options)
    return warnings


def _replica_warnings(where: str, found: Mapping[str, str | None],
                      options: RedisOptions) -> list[str]:
    role = found.get("role")
    if role is not None and role not in ("master", "primary"):
        return [f"{where} is a {role}, not the primary: it refuses writes, so every webhook "
                "would be answered 503; point the store URL at the primary"]
    replicas = int(found.get("connected_slaves") or 0)
    if options.wait_replicas > replicas:
        return [f"{where} has {replicas} connected replica(s) but the store URL asks "
                f"wait_replicas={options.wait_replicas}: every append waits in vain and the "
                "webhook answers 503; lower wait_replicas or connect replicas"]
    if replicas and not options.wait_replicas:
        return [f"{where} has {replicas} replica(s) and wait_replicas=0: replication is "
                "asynchronous, so a failover can lose the last acknowledged events; add "
                "?wait_replicas=1 to the store URL"]
    return []


def _get(config: Any, name: str) -> Any:
    if not isinstance(config, Mapping):
        return None
    return config.get(name, config.get(name.encode()))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
