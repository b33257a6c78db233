"""Keeping a Redis store bounded: the streams that have no length cap of their own are trimmed
by age.

Every other key family expires on its own or is capped (see ``_redis_layout``): dedupe markers
and ledgers expire with the dedupe window, leases and the instance list are renewed or expire,
the history and the reprocessed items are capped by length, partition streams hold only events
that wait. Dead letters and quarantined items are kept for their own retention
(``[store] dead_letter_days``, ``quarantine_days``): entry ids are times in milliseconds, so
``XTRIM MINID`` drops what is older in one command per stream.
"""

from __future__ import annotations

from typing import Any

from botkit.store._redis_layout import Keys


async def trim_by_age(client: Any, keys: Keys, now: float, *, dead_letter_seconds: float,
                      quarantine_seconds: float) -> dict[str, int]:
    """Drop dead letters and quarantined items past their retention; how many of each went."""
    limits = (("dead_letters", keys.dead, dead_letter_seconds),
              ("quarantine", keys.quarantine, quarantine_seconds),
              ("reprocessed", keys.reprocessed, quarantine_seconds))
    pipe = client.pipeline(transaction=False)
    for _, stream, seconds in limits:
        pipe.xtrim(stream, minid=max(0, int((now - seconds) * 1000)))
    trimmed = await pipe.execute()
    return {name: int(count) for (name, _, _), count in zip(limits, trimmed, strict=True)
            if count}
