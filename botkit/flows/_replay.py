"""A bounded, expiring memory of answers already sent, keyed by the request body's hash."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ReplayMemory(Generic[T]):
    """Up to ``max_entries`` answers, each forgotten ``ttl_seconds`` after it was stored."""

    def __init__(self, clock: Callable[[], float], ttl_seconds: float = 600.0,
                 max_entries: int = 10_000) -> None:
        if ttl_seconds <= 0 or max_entries <= 0:
            raise ValueError("ttl_seconds and max_entries must be positive")
        self._clock = clock
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[bytes, tuple[float, T]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes) -> T | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: bytes, answer: T) -> None:
        now = self._clock()
        self._entries[key] = (now + self._ttl, answer)
        self._entries.move_to_end(key)
        # Oldest first: drop the expired, then the oldest while over the bound.
        while self._entries:
            oldest_key, (expires, _) = next(iter(self._entries.items()))
            if expires > now and len(self._entries) <= self._max:
                break
            del self._entries[oldest_key]
