"""Business hours in the business's own time zone, so that the away reply follows local time
(daylight saving included)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusinessHours:
    """Open on ``days`` from ``opens`` to ``closes`` (minutes after midnight, local time).

    When ``closes`` is not after ``opens`` the hours run past midnight: a Friday 22:00-06:00
    opening lasts until Saturday 06:00.
    """

    zone: ZoneInfo
    days: frozenset[int]
    opens: int
    closes: int

    def is_open(self, when: float) -> bool:
        """Whether the business is open at the unix time ``when``."""
        local = datetime.fromtimestamp(when, self.zone)
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        if self.opens < self.closes:
            return today in self.days and self.opens <= minute < self.closes
        yesterday = (today - 1) % 7
        return (today in self.days and minute >= self.opens) or (
            yesterday in self.days and minute < self.closes)


def parse_hours(table: Mapping[str, Any], where: str) -> BusinessHours:
    """:class:`BusinessHours` from the ``business_hours`` table as ``bot.config()`` gives it
    (checked against the schema, ``days`` filled in); ``ValueError`` names what is wrong."""
    problems = []
    zone: ZoneInfo | None = None
    try:
        zone = ZoneInfo(table["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{where}.timezone: unknown time zone {table['timezone']!r} "
                        "(use an IANA name such as Europe/Berlin)")
    opens, closes = minutes(table["open"]), minutes(table["close"])
    if opens == closes:
        problems.append(f"{where}: open and close are both {table['open']}; "
                        "use open = \"00:00\" and close = \"24:00\" for all day")
    if problems:
        raise ValueError("\n".join(problems))
    assert zone is not None
    days = frozenset(DAYS.index(day) for day in table["days"])
    return BusinessHours(zone=zone, days=days, opens=opens, closes=closes)


def minutes(clock_time: str) -> int:
    """``"09:30"`` -> 570; ``"24:00"`` -> 1440."""
    hours, _, mins = clock_time.partition(":")
    return int(hours) * 60 + int(mins)
