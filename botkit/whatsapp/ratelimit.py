"""Client-side rate limits that make callers wait instead of letting Meta reject the message.

Meta caps each business phone number at a number of messages per second (130429 when exceeded)
and each (business number, user) pair at about one message per 6 seconds with bursts of up to 45
(131056). Both are token buckets here; the clock and the sleep are injectable so tests run on a
fake clock without really waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# How many acquisitions pass between sweeps that forget idle buckets.
_SWEEP_EVERY = 1024


class TokenBucket:
    """Holds up to ``capacity`` tokens and gains ``rate`` tokens per second.

    Each :meth:`acquire` takes a token at once, going into debt when none is left, then sleeps
    until its token would have existed. Waiters are therefore served in call order and there is
    no lock: the reservation happens before the first ``await``.
    """

    def __init__(self, capacity: float, rate: float, *, clock: Clock = time.monotonic) -> None:
        if capacity < 1:
            raise ValueError(f"a token bucket needs a capacity of at least 1, got {capacity}")
        if rate <= 0:
            raise ValueError(f"a token bucket needs a positive refill rate, got {rate}")
        self.capacity = float(capacity)
        self.rate = float(rate)
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()

    def tokens(self) -> float:
        """Tokens available now; negative while callers are waiting."""
        self._refill()
        return self._tokens

    def reserve(self) -> float:
        """Take one token and return how long the caller must wait before using it."""
        self._refill()
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def refund(self) -> None:
        """Give back a reserved token that was never used (the caller was cancelled)."""
        self._refill()
        self._tokens = min(self.capacity, self._tokens + 1)

    def drain(self) -> None:
        """Empty the bucket, e.g. after Meta reported that this limit was hit anyway."""
        self._refill()
        self._tokens = min(self._tokens, 0.0)

    def is_full(self) -> bool:
        return self.tokens() >= self.capacity

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)


class KeyedLimiter:
    """One :class:`TokenBucket` per key (phone number, or phone number and recipient).

    A bucket that has refilled completely behaves exactly like a new one, so idle buckets are
    forgotten from time to time; memory stays bounded by the number of recently active keys.
    """

    def __init__(
        self,
        capacity: float,
        rate: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        TokenBucket(capacity, rate)  # validates the arguments once, up front
        self._capacity = capacity
        self._rate = rate
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[Hashable, TokenBucket] = {}
        self._since_sweep = 0

    async def acquire(self, key: Hashable) -> float:
        """Wait until ``key`` may proceed; returns the seconds waited."""
        bucket = self._bucket(key)
        delay = bucket.reserve()
        self._since_sweep += 1
        if self._since_sweep >= _SWEEP_EVERY:
            self._sweep()
        if delay > 0:
            try:
                await self._sleep(delay)
            except BaseException:
                bucket.refund()
                raise
        return delay

    def drain(self, key: Hashable) -> None:
        """Make the next caller for ``key`` wait a full refill interval."""
        self._bucket(key).drain()

    def __len__(self) -> int:
        return len(self._buckets)

    def _bucket(self, key: Hashable) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self._capacity, self._rate, clock=self._clock)
        return bucket

    def _sweep(self) -> None:
        self._since_sweep = 0
        for key in [key for key, bucket in self._buckets.items() if bucket.is_full()]:
            del self._buckets[key]


def throughput_limiter(
    messages_per_second: float, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
) -> KeyedLimiter:
    """Per business number: messages evenly spaced, never more than the rate in any second.

    A capacity of one (no burst) keeps every one-second window within Meta's limit; a larger
    bucket would allow twice the rate across a window boundary.
    """
    return KeyedLimiter(1, messages_per_second, clock=clock, sleep=sleep)


def pair_limiter(
    burst: int, interval: float, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
) -> KeyedLimiter:
    """Per (business number, recipient): ``burst`` messages at once, then one per ``interval``."""
    if burst < 1:
        raise ValueError(f"pair_burst must be at least 1, got {burst}")
    if interval <= 0:
        raise ValueError(f"pair_interval must be positive, got {interval}")
    return KeyedLimiter(burst, 1.0 / interval, clock=clock, sleep=sleep)
