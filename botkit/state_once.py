"""Things the core keeps in ``bot.state`` and makes on first use: made once, however many
handlers ask for them at the same moment.

Without the lock, two handlers running at once could each open a store-backed cache or index;
one would be kept and the other left open. A leaf module: it knows no bot, only its state dict.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

T = TypeVar("T")
_LOCK_KEY = "botkit.state_once.lock"


async def made_once(state: MutableMapping[str, Any], key: str, kind: type[T],
                    make: Callable[[], Awaitable[T]]) -> T:
    """``state[key]``, made with ``make()`` the first time (under one lock per state dict)."""
    found = state.get(key)
    if found is None:
        lock = state.get(_LOCK_KEY)
        if not isinstance(lock, asyncio.Lock):
            lock = state[_LOCK_KEY] = asyncio.Lock()
        async with lock:
            found = state.get(key)
            if found is None:
                found = state[key] = await make()
    if not isinstance(found, kind):
        raise TypeError(f"bot.state[{key!r}] holds a {type(found).__name__}, not {kind.__name__}")
    return found
