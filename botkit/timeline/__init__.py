"""A customer's timeline, from the store: what they wrote and what each plugin made of it, what
the bot (or an operator) sent and what Meta reported about it, handoffs and timers, in order.

The operator console and ``botkit conversation show`` both build it with
:func:`customer_timeline`, so the two always tell the same story. Reading never writes: the
store is opened read-only (SQLite) or only read (Redis), with a connection of its own.
"""

from __future__ import annotations

import time

from botkit.timeline.backends import open_reader
from botkit.timeline.reader import ENTRY_LIMIT, TimelineReader
from botkit.timeline.records import (
    OUTCOMES,
    ConversationSummary,
    Entry,
    HandoffChange,
    Inbound,
    NumberFunnel,
    Outbound,
    PluginDelivery,
    StatusOnly,
    StatusReport,
    Timeline,
    TimerEntry,
)

__all__ = [
    "ENTRY_LIMIT",
    "OUTCOMES",
    "ConversationSummary",
    "Entry",
    "HandoffChange",
    "Inbound",
    "NumberFunnel",
    "Outbound",
    "PluginDelivery",
    "StatusOnly",
    "StatusReport",
    "Timeline",
    "TimelineReader",
    "TimerEntry",
    "customer_timeline",
    "open_reader",
]


def customer_timeline(store_url: str, customer: str, *, number: str | None = None,
                      now: float | None = None) -> Timeline | None:
    """``customer``'s timeline (a wa_id or business-scoped user id) in the store at
    ``store_url``, with one business number (``number``, a phone_number_id) or all of them.

    Returns None when the store knows no conversation with that customer; raises
    :class:`botkit.errors.StoreError` when the store cannot be read. Blocking: from async
    code, run it in a worker thread.
    """
    with open_reader(store_url) as reader:
        return reader.timeline(customer, number=number,
                               now=time.time() if now is None else now)
