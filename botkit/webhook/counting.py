"""Counting accepted events by kind and business number, and noticing unconfigured numbers.

With ``[numbers.<id>]`` tables, an event for a number that has no table runs on the top-level
settings: that is allowed (a new number works at once), but it should not go unseen, so each
such number is logged once per process and every event carries its number as a metrics label.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from botkit.metrics import Stats
from botkit.store.records import EventRecord

log = logging.getLogger("botkit.webhook")


def number_of(record: EventRecord) -> str:
    """The business number an event arrived on ("" for account-level events)."""
    if record.kind == "field":
        return ""
    return record.conversation.partition(":")[0]


class AcceptedCounter:
    """Counts accepted events per (kind, number) for ``/metrics``."""

    def __init__(self, stats: Stats, numbers: Mapping[str, Any]) -> None:
        self.stats = stats
        self.numbers = numbers
        self._noticed: set[str] = set()

    def count(self, records: Iterable[EventRecord]) -> None:
        counts = Counter((record.kind, number_of(record)) for record in records)
        for (kind, number), count in counts.items():
            self.stats.accepted(kind, number, count)
            if self.numbers and number and number not in self.numbers:
                self._notice(number)

    def _notice(self, number: str) -> None:
        if number in self._noticed:
            return
        self._noticed.add(number)
        log.warning("events for business number %s, which has no [numbers.%s] table: they run "
                    "on the top-level settings (token, plugins)", number, number)
