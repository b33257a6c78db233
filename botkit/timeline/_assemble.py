"""Turning what a store holds about a customer into one ordered timeline.

The store readers only fetch rows (events with their ledger rows, outbox items, pending timers,
conversation rows); everything else, the same for every store, happens here: deliveries worded
as outcomes, Meta's statuses joined to the message they are about, handoffs and timers read out
of their events, and one order by time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botkit.conversations.handoff import HANDOFF_TARGET
from botkit.conversations.records import ConversationInfo, TimerSpec
from botkit.timeline import _payloads as read
from botkit.timeline.reader import matches, remember_latest
from botkit.timeline.records import (
    ConversationSummary,
    Entry,
    HandoffChange,
    Inbound,
    Outbound,
    PluginDelivery,
    StatusOnly,
    StatusReport,
    Timeline,
    TimerEntry,
)

# Entries at the same moment: what the customer did comes before what it caused.
RANKS = {"inbound": 0, "handoff": 1, "outbound": 2, "status": 3, "timer": 4}
#: Kinds of events a timeline is made of.
TIMELINE_KINDS = ("message", "status", "handoff", "timer")


@dataclass(slots=True)
class RawEvent:
    """An event row as a store holds it; ``payload`` decoded, ``ledger`` as (plugin, state,
    attempts, error) rows."""

    key: str
    kind: str
    conversation: str
    received_at: float
    state: str
    payload: Any
    ledger: list[tuple[str, str, int, str | None]] = field(default_factory=list)
    #: Where the store put it among the others: breaks ties between equal times.
    order: float = 0.0


@dataclass(slots=True)
class RawOutbox:
    """An outbox item as a store holds it; ``item`` is its decoded JSON."""

    event_key: str
    plugin: str
    index: int
    conversation: str
    item: Mapping[str, Any]
    status: str
    result: str | None
    at: float


def outcome(state: str, attempts: int) -> str:
    """A ledger state in the words of the timeline (see ``records.OUTCOMES``)."""
    if state == "done":
        return "retried" if attempts > 1 else "done"
    if state == "sending":
        return "in doubt"
    return state


def deliveries(rows: Iterable[tuple[str, str, int, str | None]]) -> tuple[PluginDelivery, ...]:
    return tuple(PluginDelivery(plugin, outcome(state, attempts), attempts, error)
                 for plugin, state, attempts, error in sorted(rows, key=lambda r: r[0]))


def summary(key: str, info: ConversationInfo, now: float, *, name: str | None = None,
            user_id: str | None = None, last_activity: float | None = None
            ) -> ConversationSummary:
    """A conversation's row in a list, from its stored facts as of ``now``."""
    moments = [t for t in (last_activity, info.last_inbound_at) if t is not None]
    return ConversationSummary(
        key, info.mode, info.with_human(now), info.handoff_by, info.handoff_until,
        info.last_inbound_at, info.window_open(now), max(moments) if moments else None,
        name, user_id)


def conversation_list(infos: Mapping[str, ConversationInfo], activity: Mapping[str, float],
                      names: Mapping[str, str], users: Mapping[str, str], now: float,
                      query: str | None, limit: int) -> list[ConversationSummary]:
    """The rows of the conversations list, most recently active first: every conversation a
    store knows (a row of its own, or only recent activity) that matches ``query``."""
    found = []
    for key in set(infos) | set(activity):
        row = summary(key, infos.get(key) or ConversationInfo(key), now, name=names.get(key),
                      user_id=users.get(key), last_activity=activity.get(key))
        if not query or matches(query, row):
            found.append(row)
    found.sort(key=lambda c: (c.last_activity or 0, c.key), reverse=True)
    return found[:limit]


def assemble(customer: str, infos: Mapping[str, ConversationInfo], events: list[RawEvent],
             outbox: list[RawOutbox], timers: list[TimerSpec], now: float, *,
             truncated: bool = False) -> Timeline:
    """The customer's timeline: every entry of ``events``, ``outbox`` and ``timers``, oldest
    first, and a summary of each conversation in ``infos``."""
    placed: list[tuple[float, float, int, Entry]] = []  # (time, store order, after, entry)
    statuses: dict[str, list[tuple[float, str, StatusReport]]] = {}
    orders = {event.key: event.order for event in events}
    for event in events:
        if event.kind == "status":
            wamid = read.status_wamid(event.payload)
            if wamid:
                statuses.setdefault(wamid, []).append(
                    (event.order, event.conversation,
                     read.status_report(event.payload, event.received_at)))
        else:
            entry = _event_entry(event)
            if entry is not None:
                placed.append((entry.at, event.order, 0, entry))
    for item in outbox:
        reports = _reports(statuses, item)
        order = orders.get(item.event_key, math.inf)  # right after what caused it
        placed.append((item.at, order, 1, Outbound(
            item.at, item.conversation, item.event_key, item.plugin, item.index,
            _summary(item), item.status, item.result, reports)))
    for wamid, found in statuses.items():  # statuses of messages the outbox does not know
        found.sort(key=lambda row: (row[2].at, row[0]))
        reports = tuple(report for _, _, report in found)
        placed.append((reports[0].at, found[0][0], 0,
                       StatusOnly(reports[0].at, found[0][1], wamid, reports)))
    for timer in timers:
        if not _still_meant(timer, infos.get(timer.conversation)):
            continue
        placed.append((timer.due_at, math.inf, 0, TimerEntry(
            timer.due_at, timer.conversation, timer.id, timer.plugin, timer.name, "pending",
            timer.due_at)))
    placed.sort(key=lambda row: (row[0], row[1], row[2], RANKS[row[3].kind]))
    entries = [entry for _, _, _, entry in placed]
    return Timeline(customer, _summaries(infos, events, entries, now), tuple(entries),
                    truncated)


def _still_meant(timer: TimerSpec, info: ConversationInfo | None) -> bool:
    """A handoff's expiry timer stays pending after a hand-back (firing then changes nothing);
    it is shown only while the handoff it would end lasts."""
    if timer.plugin != HANDOFF_TARGET:
        return True
    return info is not None and info.mode == "human" and info.handoff_until == timer.due_at


def _reports(statuses: dict[str, list[tuple[float, str, StatusReport]]],
             item: RawOutbox) -> tuple[StatusReport, ...]:
    if item.status != "sent" or not item.result:
        return ()
    found = statuses.pop(item.result.removeprefix("fallback:"), [])
    found.sort(key=lambda row: (row[2].at, row[0]))
    return tuple(report for _, _, report in found)


def _summary(item: RawOutbox) -> str:
    body = item.item.get("body")
    text = read.body_summary(body if isinstance(body, Mapping) else {})
    fallback = item.item.get("fallback")
    if item.result and item.result.startswith("fallback:") and isinstance(fallback, Mapping):
        return f"{text} (window closed: sent as {read.body_summary(fallback)})"
    return text


def _event_entry(event: RawEvent) -> Entry | None:
    payload = event.payload
    if event.kind == "message":
        return Inbound(event.received_at, event.conversation, event.key,
                       read.message_type(payload), read.message_text(payload),
                       read.profile_name(payload), event.state, deliveries(event.ledger))
    value = payload if isinstance(payload, Mapping) else {}
    if event.kind == "handoff":
        until = value.get("until")
        return HandoffChange(event.received_at, event.conversation,
                             str(value.get("action") or "?"), _text(value.get("by")),
                             _text(value.get("reason")),
                             float(until) if isinstance(until, int | float) else None)
    if event.kind == "timer":
        due = value.get("due_at")
        return TimerEntry(event.received_at, event.conversation, str(value.get("timer_id")),
                          str(value.get("plugin")), str(value.get("name")), "fired",
                          float(due) if isinstance(due, int | float) else event.received_at,
                          deliveries(event.ledger))
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _summaries(infos: Mapping[str, ConversationInfo], events: list[RawEvent],
               entries: list[Entry], now: float) -> tuple[ConversationSummary, ...]:
    latest: dict[str, float] = {}
    for entry in entries:
        if not isinstance(entry, TimerEntry) or entry.state == "fired":  # not the future
            latest[entry.conversation] = max(latest.get(entry.conversation, 0.0), entry.at)
    names: dict[str, str] = {}
    users: dict[str, str] = {}
    for event in sorted(events, key=lambda e: (e.received_at, e.order), reverse=True):
        if event.kind == "message":
            remember_latest(names, event.conversation, read.profile_name(event.payload))
            remember_latest(users, event.conversation, read.user_id(event.payload))
    found = [summary(key, info, now, name=names.get(key), user_id=users.get(key),
                     last_activity=latest.get(key)) for key, info in infos.items()]
    return tuple(sorted(found, key=lambda c: c.last_activity or 0, reverse=True))
