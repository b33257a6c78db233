"""The delivery funnel: of the messages a business number sent, how many Meta reported sent,
delivered and read, and how many failed, by error code.

Statuses arrive late, twice or out of order, and one may be missing altogether (a ``read``
without its ``delivered``), so a message counts at every step up to the furthest it reached:
read implies delivered, delivered implies sent. A failure is counted once per message, under
the first error code Meta gave; a message that failed after being sent counts in both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from botkit.timeline.records import NumberFunnel

STEPS = {"sent": 1, "delivered": 2, "read": 3, "played": 3}


@dataclass(slots=True)
class _Message:
    reached: int = 0
    failed: bool = False
    code: int | None = None


@dataclass(slots=True)
class _Number:
    display: str | None = None
    messages: dict[str, _Message] = field(default_factory=dict)


def count_funnel(statuses: Iterable[tuple[str, str | None, str, str, int | None]]
                 ) -> list[NumberFunnel]:
    """Per business number, from (number, display number, wamid, status, first error code)
    rows in any order; numbers sorted by how many messages they sent, most first."""
    numbers: dict[str, _Number] = {}
    for number, display, wamid, status, code in statuses:
        found = numbers.setdefault(number, _Number())
        found.display = found.display or display
        message = found.messages.setdefault(wamid, _Message())
        if status == "failed":
            if not message.failed:
                message.failed, message.code = True, code
        else:
            message.reached = max(message.reached, STEPS.get(status, 0))
    funnels = []
    for number, found in numbers.items():
        reached = [m.reached for m in found.messages.values()]
        failures = Counter(m.code for m in found.messages.values() if m.failed)
        funnels.append(NumberFunnel(
            number, found.display, len(found.messages), sum(1 for r in reached if r >= 1),
            sum(1 for r in reached if r >= 2), sum(1 for r in reached if r >= 3),
            tuple(sorted(failures.items(), key=lambda pair: (-pair[1], pair[0] or 0)))))
    return sorted(funnels, key=lambda f: (-f.messages, f.number))
