"""Timelines from a Redis store: its streams, ledgers and conversation keys, only read.

Events come from the streams (waiting, then finished, then dead letters and quarantine: the
first entry of a key is its latest state), outbox items from the handling hash of each of those
events and of each operator send (``handling:operator:*``), pending timers and conversation
rows from the conversation store's keys. See ``_redis_source`` for the layout.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botkit.conversations.records import ConversationInfo, TimerSpec
from botkit.json_codec import from_json
from botkit.timeline import _payloads as read
from botkit.timeline._assemble import (
    TIMELINE_KINDS,
    RawEvent,
    RawOutbox,
    assemble,
    conversation_list,
)
from botkit.timeline._redis_source import RedisSource, glob_escape, number, text
from botkit.timeline.funnel import count_funnel
from botkit.timeline.reader import (
    ENTRY_LIMIT,
    NAME_SCAN_LIMIT,
    TimelineReader,
    remember_latest,
)
from botkit.timeline.records import ConversationSummary, NumberFunnel, Timeline

ROW_FIELDS = ("mode", "handoff_until", "handoff_by", "handoff_reason", "last_inbound_at",
              "updated_at")
# Stream ids come from Redis's clock, received times from the bot's: look a little wider.
CLOCK_MARGIN_MS = 300_000


def _decode(value: bytes | None) -> Any:
    try:
        return from_json(value) if value else None
    except ValueError:
        return None


def _info(key: str, values: list[bytes | None]) -> ConversationInfo:
    mode, until, by, reason, inbound = values[:5]
    return ConversationInfo(key, "human" if mode == b"human" else "bot", number(until),
                            None if by is None else text(by),
                            None if reason is None else text(reason), number(inbound))


class RedisTimelineReader(TimelineReader):
    """Reads one Redis store (the URL's prefix) without writing to it."""

    def __init__(self, url: str) -> None:
        self.source = RedisSource(url)

    def close(self) -> None:
        self.source.close()

    # -- one customer ------------------------------------------------------------------------

    def timeline(self, customer: str, *, number: str | None = None,
                 now: float) -> Timeline | None:
        return self.source.guard(lambda: self._timeline(customer, number, now))

    def _timeline(self, customer: str, number: str | None, now: float) -> Timeline | None:
        src = self.source

        def wanted(conversation: str) -> bool:
            first, _, rest = conversation.partition(":")
            return rest == customer and (number is None or first == number)

        events, truncated = self._events(wanted)
        operator = self._operator_outbox(wanted)
        keys = {text(k) for k in src.client.zrange(src.key("customer", customer), 0, -1)}
        keys = {k for k in keys if wanted(k)} | {e.conversation for e in events}
        keys |= {item.conversation for item in operator}
        if not keys:
            return None
        ordered = sorted(keys)
        pipe = src.client.pipeline(transaction=False)
        for key in ordered:
            pipe.hmget(src.key("conversation", key), ROW_FIELDS)
        for key in ordered:
            pipe.zrange(src.key("conv-timers", key), 0, -1)
        replies = pipe.execute()
        rows = replies[:len(ordered)]
        infos = {key: _info(key, values) for key, values in zip(ordered, rows, strict=True)}
        timer_ids = [text(i) for ids in replies[len(ordered):] for i in ids]
        specs = src.client.hmget(src.key("timer-specs"), timer_ids) if timer_ids else []
        timers = [TimerSpec(s["id"], s["conversation"], s["plugin"], s["name"],
                            float(s["due_at"])) for s in map(_decode, specs)
                  if isinstance(s, dict)]
        outbox = self._event_outbox(events) + operator
        return assemble(customer, infos, events, outbox, timers, now, truncated=truncated)

    def _events(self, wanted: Any) -> tuple[list[RawEvent], bool]:
        """The latest state of each timeline event of the wanted conversations, with its
        ledger; True when there were more than ENTRY_LIMIT."""
        src = self.source
        found: dict[str, RawEvent] = {}
        for stream, state in src.event_streams():
            for order, fields in src.scan(stream):
                key = text(fields.get("key", b""))
                conversation = text(fields.get("conversation", b""))
                kind = text(fields.get("kind", b""))
                if not key or key in found or kind not in TIMELINE_KINDS or not wanted(
                        conversation):
                    continue
                found[key] = RawEvent(
                    key, kind, conversation, number(fields.get("received_at")) or 0.0,
                    state or text(fields.get("state", b"done")),
                    _decode(fields.get("payload")), order=order)
        events = sorted(found.values(), key=lambda e: e.received_at, reverse=True)
        truncated = len(events) > ENTRY_LIMIT
        events = events[:ENTRY_LIMIT]
        pipe = src.client.pipeline(transaction=False)
        for event in events:
            pipe.hgetall(src.key("ledger", event.key))
        for event, ledger in zip(events, pipe.execute() if events else [], strict=True):
            for plugin, value in ledger.items():
                row = _decode(value)
                row = row if isinstance(row, dict) else {}
                event.ledger.append((text(plugin), str(row.get("state")),
                                     int(row.get("attempts") or 0), row.get("error")))
        return events, truncated

    def _event_outbox(self, events: list[RawEvent]) -> list[RawOutbox]:
        src = self.source
        pipe = src.client.pipeline(transaction=False)
        for event in events:
            pipe.hgetall(src.key("handling", event.key))
        items: list[RawOutbox] = []
        for event, fields in zip(events, pipe.execute() if events else [], strict=True):
            for item in _outbox(event.key, fields):
                item.conversation = event.conversation  # as committed, like SQLite's column
                items.append(item)
        return items

    def _operator_outbox(self, wanted: Any) -> list[RawOutbox]:
        """Operators' sends are not tied to an event: their handling hashes are found by
        name."""
        src = self.source
        names = list(src.scan_keys(glob_escape(src.key("handling", "")) + "operator:*"))
        pipe = src.client.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(name)
        prefix = len(src.key("handling", ""))
        found: list[RawOutbox] = []
        for name, fields in zip(names, pipe.execute() if names else [], strict=True):
            found += [item for item in _outbox(name[prefix:], fields)
                      if wanted(item.conversation)]
        return found

    # -- lists -------------------------------------------------------------------------------

    def conversations(self, query: str | None, *, now: float,
                      limit: int = 100) -> list[ConversationSummary]:
        return self.source.guard(lambda: self._conversations(query, now, limit))

    def _conversations(self, query: str | None, now: float,
                       limit: int) -> list[ConversationSummary]:
        src = self.source
        prefix = src.key("conversation", "")
        keys = [name[len(prefix):] for name in src.scan_keys(glob_escape(prefix) + "*")]
        pipe = src.client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(src.key("conversation", key), ROW_FIELDS)
        infos, activity = {}, {}
        for key, values in zip(keys, pipe.execute() if keys else [], strict=True):
            infos[key] = _info(key, values)
            activity[key] = number(values[5]) or 0.0
        names: dict[str, str] = {}
        users: dict[str, str] = {}
        for fields in self._recent_messages():
            key = text(fields.get("conversation", b""))
            payload = _decode(fields.get("payload"))
            remember_latest(names, key, read.profile_name(payload))
            remember_latest(users, key, read.user_id(payload))
            activity[key] = max(activity.get(key, 0.0), number(fields.get("received_at")) or 0)
        return conversation_list(infos, activity, names, users, now, query, limit)

    def _recent_messages(self) -> Iterable[dict[str, bytes]]:
        src, seen = self.source, 0
        for stream in src.dispatched_streams():
            for _, fields in src.scan(stream):
                if fields.get("kind") == b"message":
                    yield fields
                    seen += 1
                    if seen >= NAME_SCAN_LIMIT:
                        return

    def funnel(self, since: float) -> list[NumberFunnel]:
        return self.source.guard(lambda: self._funnel(since))

    def _funnel(self, since: float) -> list[NumberFunnel]:
        src, rows, seen = self.source, [], set()
        since_ms = max(0, int(since * 1000) - CLOCK_MARGIN_MS)
        for stream in src.dispatched_streams():
            for _, fields in src.scan(stream, since_ms):
                key = fields.get("key")
                if fields.get("kind") != b"status" or key in seen or (
                        number(fields.get("received_at")) or 0) < since:
                    continue
                seen.add(key)
                payload = _decode(fields.get("payload"))
                wamid = read.status_wamid(payload)
                report = read.status_report(payload, 0.0)
                if wamid:
                    rows.append((text(fields.get("conversation", b"")).partition(":")[0],
                                 read.display_number(payload), wamid, report.status,
                                 report.errors[0][0] if report.errors else None))
        return count_funnel(rows)


def _outbox(event_key: str, fields: dict[bytes, bytes]) -> list[RawOutbox]:
    """The outbox items of one handling hash; an item's conversation is where it was sent."""
    named = {text(name): value for name, value in fields.items()}
    items = []
    for name, value in named.items():
        kind, _, rest = name.partition(":")
        index, _, plugin = rest.partition(":")
        if kind != "item" or not index.isdigit():
            continue
        item = _decode(value)
        item = item if isinstance(item, dict) else {}
        state = _decode(named.get(f"status:{index}:{plugin}"))
        status, result = state if isinstance(state, list) and len(state) == 2 else (
            "pending", None)
        customer = item.get("to") or item.get("recipient") or ""
        items.append(RawOutbox(event_key, plugin, int(index),
                               f"{item.get('phone_number_id', '')}:{customer}", item,
                               str(status), result,
                               number(named.get(f"handled:{plugin}")) or 0.0))
    return sorted(items, key=lambda item: (item.plugin, item.index))
