"""The template cache on the Redis store: a hash per account under the store's key prefix.

Keys (``<ns>`` is the store's prefix)::

    <ns>:templates:<waba_id>     hash: ``<name>:<language>`` -> the cached template, JSON
    <ns>:template-syncs          hash: account -> when it was last synced in full
    <ns>:template-accounts       set: the accounts with cached templates

Templates are kept until a sync or a delete removes them (they do not expire). A change is a
WATCH / MULTI transaction on the account's hash, retried when another process changed it
meanwhile, so updates from several processes never overwrite each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

from botkit.errors import StoreError
from botkit.message_templates.cache import Edit, TemplateCache
from botkit.message_templates.records import CachedTemplate, kept_across_sync


class RedisTemplateCache(TemplateCache):
    """``client()`` gives the connected client (the store's own, in a running bot)."""

    def __init__(self, client: Callable[[], aioredis.Redis], prefix: str) -> None:
        self._client = client
        self.prefix = prefix
        self.syncs = f"{prefix}:template-syncs"
        self.accounts_key = f"{prefix}:template-accounts"

    def key(self, waba_id: str) -> str:
        return f"{self.prefix}:templates:{waba_id}"

    async def named(self, waba_id: str, name: str) -> list[CachedTemplate]:
        return [t for t in await self.all(waba_id) if t.name == name]

    async def all(self, waba_id: str | None = None) -> list[CachedTemplate]:
        accounts = [waba_id] if waba_id else await self.accounts()
        found: list[CachedTemplate] = []
        with _failures("read templates from"):
            for account in accounts:
                values = await self._client().hvals(self.key(account))
                found += [CachedTemplate.from_json(value) for value in values]
        return sorted(found, key=lambda t: t.key)

    async def replace_account(self, waba_id: str, templates: list[CachedTemplate],
                              now: float) -> tuple[int, int]:
        key = self.key(waba_id)

        async def step(pipe: Any) -> tuple[int, int]:
            old = {t.key: t for t in (CachedTemplate.from_json(v)
                                      for v in (await pipe.hvals(key)))}
            fresh = [kept_across_sync(t, old.get(t.key)) for t in templates]
            pipe.multi()
            pipe.delete(key)
            if fresh:
                pipe.hset(key, mapping={_field(t): t.to_json() for t in fresh})
                pipe.sadd(self.accounts_key, waba_id)
            pipe.hset(self.syncs, waba_id, repr(now))
            await pipe.execute()
            return len(fresh), len(set(old) - {t.key for t in fresh})
        counts: tuple[int, int] = await self._transaction(key, step)
        return counts

    async def put(self, template: CachedTemplate) -> None:
        with _failures("write a template to"):
            pipe = self._client().pipeline(transaction=True)
            pipe.hset(self.key(template.waba_id), _field(template), template.to_json())
            pipe.sadd(self.accounts_key, template.waba_id)
            await pipe.execute()

    async def remove(self, waba_id: str, name: str, language: str | None = None) -> int:
        fields = [_field_of(name, language)] if language else [
            _field(t) for t in await self.named(waba_id, name)]
        if not fields:
            return 0
        with _failures("remove a template from"):
            return int(await self._client().hdel(self.key(waba_id), *fields))

    async def change(self, waba_id: str, name: str, language: str,
                     edit: Edit) -> CachedTemplate | None:
        key, field = self.key(waba_id), _field_of(name, language)

        async def step(pipe: Any) -> CachedTemplate | None:
            raw = await pipe.hget(key, field)
            current = CachedTemplate.from_json(raw) if raw else None
            changed = edit(current)
            if changed is None or changed == current:
                await pipe.unwatch()
                return changed
            pipe.multi()
            pipe.hset(key, field, changed.to_json())
            pipe.sadd(self.accounts_key, waba_id)
            await pipe.execute()
            return changed
        result: CachedTemplate | None = await self._transaction(key, step)
        return result

    async def synced_at(self, waba_id: str) -> float | None:
        with _failures("read template syncs from"):
            value = await self._client().hget(self.syncs, waba_id)
        return float(value) if value is not None else None

    async def accounts(self) -> list[str]:
        with _failures("read template accounts from"):
            client = self._client()
            members = await client.smembers(self.accounts_key)
            synced = await client.hkeys(self.syncs)
        return sorted({_text(v) for v in (*members, *synced)})

    async def _transaction(self, key: str, step: Callable[[Any], Awaitable[Any]]) -> Any:
        """``step(pipe)`` with ``key`` watched, again whenever another client changed it."""
        with _failures("update templates in"):
            async with self._client().pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(key)
                        return await step(pipe)
                    except WatchError:
                        continue


async def open_redis_cache(url: str) -> tuple[TemplateCache, Callable[[], Awaitable[Any]]]:
    """A cache on its own client for the store at ``url``: (cache, close)."""
    from botkit.store.redis import parse_redis_url

    options = parse_redis_url(url)
    try:
        client = aioredis.Redis.from_url(options.client_url, socket_connect_timeout=2.0,
                                         socket_timeout=5.0)
    except ValueError as exc:
        raise StoreError(f"bad redis store URL {options.shown!r}: {exc}") from None
    with _failures("connect to", options.shown):
        await client.ping()
    return RedisTemplateCache(lambda: client, options.prefix), client.aclose


def _field(template: CachedTemplate) -> str:
    return _field_of(template.name, template.language)


def _field_of(name: str, language: str) -> str:
    return f"{name}:{language}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@contextlib.contextmanager
def _failures(action: str, where: str = "Redis") -> Iterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StoreError(f"could not {action} {where}: {type(exc).__name__}: {exc}") from None
