"""Key names and value shapes of the conversation store on Redis (see ``redis`` for the layout).

Conversation keys (``<phone_number_id>:<customer>``) and event keys contain colons, so each is
the last part of a key name, never followed by another name part; per-plugin values are fields
of a hash whose field names put the plugin last (``item:<index>:<plugin>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botkit.conversations.records import ConversationInfo, OutboxItem, PluginState, TimerSpec
from botkit.conversations.sqlite import item_from_row, item_json
from botkit.json_codec import from_json, to_json

#: Conversation rows and dialog state are kept this long after their last change.
DEFAULT_KEEP_SECONDS = 30 * 86400

ROW_FIELDS = ("mode", "handoff_until", "handoff_by", "handoff_reason", "last_inbound_at")


class ConversationKeys:
    """The conversation store's key names under the event store's namespace prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.humans = f"{prefix}:humans"
        self.due = f"{prefix}:timers"
        self.specs = f"{prefix}:timer-specs"

    def row(self, conversation: str) -> str:
        return f"{self.prefix}:conversation:{conversation}"

    def customer(self, conversation: str) -> str:
        """The index of a customer's conversations (the customer is the part after the first
        colon, as ``botkit handoff take CUSTOMER`` names it)."""
        return self.customer_index(conversation.partition(":")[2])

    def customer_index(self, customer: str) -> str:
        return f"{self.prefix}:customer:{customer}"

    def dialog(self, conversation: str) -> str:
        return f"{self.prefix}:dialog:{conversation}"

    def handling(self, event_key: str) -> str:
        return f"{self.prefix}:handling:{event_key}"

    def conversation_timers(self, conversation: str) -> str:
        return f"{self.prefix}:conv-timers:{conversation}"


def handled_field(plugin: str) -> str:
    return f"handled:{plugin}"


def item_field(index: int, plugin: str) -> str:
    return f"item:{index}:{plugin}"


def status_field(index: int, plugin: str) -> str:
    return f"status:{index}:{plugin}"


def status_value(item: OutboxItem) -> bytes:
    return to_json([item.status, item.result])


def optional(value: str | float | None) -> str:
    """A nullable script argument: ``""`` for None, else ``=`` and the value (floats exact)."""
    if value is None:
        return ""
    return "=" + (repr(float(value)) if isinstance(value, int | float) else value)


#: What the client hands back for a value (bytes, as botkit does not decode replies).
Raw = bytes | str


def text(value: Raw) -> str:
    return value.decode() if isinstance(value, bytes) else value


def raw(value: Raw) -> bytes:
    return value.encode() if isinstance(value, str) else value


def members(reply: Any) -> list[str]:
    """The members of a sorted-set reply read without scores."""
    return [text(member) for member in reply]


def number(value: Raw | None) -> float | None:
    return None if value is None else float(value)


def info_from_row(conversation: str, values: Sequence[Raw | None]) -> ConversationInfo:
    """A conversation row read with ``HMGET row *ROW_FIELDS``; a missing row is a fresh one."""
    mode, until, by, reason, inbound = values
    return ConversationInfo(
        conversation, "human" if mode in (b"human", "human") else "bot", number(until),
        None if by is None else text(by), None if reason is None else text(reason),
        number(inbound))


def state_value(state: PluginState) -> bytes:
    return to_json({"state": state.state, "data": dict(state.data),
                    "expires_at": state.expires_at})


def state_from_value(value: Raw | None) -> PluginState:
    if value is None:
        return PluginState()
    stored = from_json(raw(value))
    return PluginState(stored["state"], stored["data"], stored["expires_at"])


def spec_value(timer: TimerSpec) -> bytes:
    return to_json({"id": timer.id, "conversation": timer.conversation, "plugin": timer.plugin,
                    "name": timer.name, "due_at": float(timer.due_at),
                    "data": dict(timer.data)})


def spec_from_value(value: Raw) -> TimerSpec:
    stored = from_json(raw(value))
    return TimerSpec(stored["id"], stored["conversation"], stored["plugin"], stored["name"],
                     stored["due_at"], stored["data"])


def outbox_from_fields(fields: Mapping[Raw, Raw], plugin: str) -> list[OutboxItem]:
    """One plugin's outbox items, in order, from the fields of an event's handling hash."""
    named = {text(name): raw(value) for name, value in fields.items()}
    items = []
    for name, value in named.items():
        kind, _, rest = name.partition(":")
        index, _, owner = rest.partition(":")
        if kind != "item" or owner != plugin or not index.isdigit():
            continue
        status = named.get(status_field(int(index), plugin))
        state, result = from_json(status) if status is not None else ("pending", None)
        items.append(item_from_row(int(index), value, state, result))
    return sorted(items, key=lambda item: item.index)


def outbox_fields(items: list[OutboxItem], plugin: str) -> list[Any]:
    """``HSET`` field/value pairs that store new outbox items with their status."""
    pairs: list[Any] = []
    for item in items:
        pairs += [item_field(item.index, plugin), item_json(item),
                  status_field(item.index, plugin), status_value(item)]
    return pairs
