"""What each dispatch worker is running, so that stuck calls can be told from busy ones.

A plugin call that has run for more than ``STUCK_SECONDS`` (hung, slow, or waiting to be
retried) stops counting against ``dispatch.concurrency``, and a stop that cannot wait for it
says which event is where.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botkit.dispatcher.delivery import Job

#: A call running this long no longer counts against ``concurrency``.
STUCK_SECONDS = 2.0


@dataclass(slots=True)
class Slot:
    """What one worker is running, and since when (monotonic time)."""

    job: Job | None = None
    since: float | None = None
    warned: bool = False

    def stuck(self, now: float) -> bool:
        return self.since is not None and now - self.since > STUCK_SECONDS


def running_now(slots: Iterable[Slot]) -> list[str]:
    """"<event> in <target> for <n> s" for every worker that is running something."""
    now = time.monotonic()
    return [f"{slot.job.stored.key} in {slot.job.running or 'botkit'} for "
            f"{now - (slot.since or now):.0f} s" for slot in slots if slot.job is not None]


def counted(slots: Iterable[Slot]) -> int:
    """Workers that count against ``concurrency``: all but those stuck in a long call."""
    now = time.monotonic()
    return sum(1 for slot in slots if not slot.stuck(now))
