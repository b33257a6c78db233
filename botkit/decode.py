"""Turn a stored record back into the typed event that plugins receive.

:func:`prepare` is the whole step the dispatcher takes for each claimed event: parse the stored
payload, hold it against its schema, decode it. A message whose only problems are in the
object of its type (missing, malformed, oversized) is still one a customer sent and a bot can
answer: it is dispatched marked ``incomplete``, with its problems. Anything else that fails its
schema cannot be attributed safely and goes to quarantine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from botkit.events import (
    Contact,
    ErrorInfo,
    Event,
    FieldEvent,
    Handoff,
    Message,
    Status,
    Timer,
    WebhookError,
)
from botkit.json_codec import from_json, unix_time
from botkit.validation.events import shared_validator
from botkit.validation.schemas import json_path

#: Checks a decoded payload against its schema: (kind, payload) -> problems.
Checker = Callable[[str, Mapping[str, Any]], list[str]]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _errors(value: Any) -> tuple[ErrorInfo, ...]:
    items = value if isinstance(value, list) else []
    return tuple(ErrorInfo.from_dict(item) for item in items if isinstance(item, Mapping))


def _base(key: str, context: Mapping[str, Any], attempt: int) -> dict[str, Any]:
    metadata = _obj(context.get("metadata"))
    return {
        "key": key,
        "field": context.get("field") or "messages",
        "waba_id": context.get("waba_id") or "",
        "phone_number_id": _str(metadata.get("phone_number_id")),
        "display_phone_number": _str(metadata.get("display_phone_number")),
        "attempt": attempt,
    }


def profile_contact(base: dict[str, Any], item: Mapping[str, Any], when: int | None) -> Contact:
    """A contact from a ``value.contacts[]`` entry."""
    profile = _obj(item.get("profile"))
    return Contact(
        **base, timestamp=when, raw=item,
        wa_id=_str(item.get("wa_id")), user_id=_str(item.get("user_id")),
        name=_str(profile.get("name")), username=_str(profile.get("username")),
    )


def _message(base: dict[str, Any], item: Mapping[str, Any], contact: Any) -> Message:
    kind = _str(item.get("type")) or "unknown"
    body = _obj(item.get(kind))
    text, reply_id = _message_text(kind, body)
    sender_contact = None
    if isinstance(contact, Mapping):
        sender_contact = profile_contact(base, contact, unix_time(item.get("timestamp")))
    return Message(
        **base, timestamp=unix_time(item.get("timestamp")), raw=item,
        id=_str(item.get("id")) or base["key"], type=kind,
        sender=_str(item.get("from")), sender_user_id=_str(item.get("from_user_id")),
        text=text, reply_id=reply_id,
        context_id=_str(_obj(item.get("context")).get("id")),
        group_id=_str(item.get("group_id")), contact=sender_contact,
        errors=_errors(item.get("errors")),
    )


def _message_text(kind: str, body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The human text of a message and, for button taps and list picks, the reply id."""
    if kind == "text":
        return _str(body.get("body")), None
    if kind == "button":
        return _str(body.get("text")), _str(body.get("payload"))
    if kind == "interactive":
        choice = _obj(body.get(_str(body.get("type")) or ""))
        return _str(choice.get("title")), _str(choice.get("id"))
    if kind == "reaction":
        return _str(body.get("emoji")), None
    if kind == "system":
        return _str(body.get("body")), None
    return _str(body.get("caption")), None


def _status(base: dict[str, Any], item: Mapping[str, Any]) -> Status:
    pricing = _obj(item.get("pricing"))
    return Status(
        **base, timestamp=unix_time(item.get("timestamp")), raw=item,
        id=_str(item.get("id")) or base["key"], status=_str(item.get("status")) or "unknown",
        recipient_id=_str(item.get("recipient_id")),
        recipient_user_id=_str(item.get("recipient_user_id")),
        errors=_errors(item.get("errors")),
        pricing_category=_str(pricing.get("category")),
        pricing_model=_str(pricing.get("pricing_model")),
        pricing_type=_str(pricing.get("type")),
        conversation_id=_str(_obj(item.get("conversation")).get("id")),
        biz_opaque_callback_data=_str(item.get("biz_opaque_callback_data")),
    )


def _user_id_update(base: dict[str, Any], item: Mapping[str, Any]) -> Contact:
    user_id = _obj(item.get("user_id"))
    return Contact(
        **base, timestamp=unix_time(item.get("timestamp")), raw=item,
        wa_id=_str(item.get("wa_id")), user_id=_str(user_id.get("current")),
        change="user_id_changed", previous_user_id=_str(user_id.get("previous")),
    )


def _core_event(kind: str, key: str, context: Mapping[str, Any], attempt: int) -> Event:
    """Events botkit itself stores (timers firing, handoffs), not Meta's."""
    conversation = str(context.get("conversation", ""))
    pnid = conversation.partition(":")[0] or None
    common: dict[str, Any] = {"key": key, "field": kind, "waba_id": "", "phone_number_id": pnid,
                              "raw": context, "attempt": attempt}
    if kind == "timer":
        return Timer(**common, timestamp=int(context.get("due_at", 0)),
                     timer_id=str(context.get("timer_id")), name=str(context.get("name")),
                     plugin=str(context.get("plugin")), conversation=conversation,
                     due_at=float(context.get("due_at", 0)), data=_obj(context.get("data")))
    action = "started" if context.get("action") == "started" else "ended"
    return Handoff(**common, timestamp=_int(context.get("at")), action=action,
                   conversation=conversation, by=_str(context.get("by")),
                   reason=_str(context.get("reason")), until=context.get("until"))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def decode(kind: str, key: str, context: Mapping[str, Any], attempt: int = 1) -> Event:
    """Build the typed event for a stored record (``context`` is its decoded payload)."""
    if kind in ("timer", "handoff"):
        return _core_event(kind, key, context, attempt)
    base = _base(key, context, attempt)
    item = _obj(context.get("item"))
    if kind == "message":
        return _message(base, item, context.get("contact"))
    if kind == "status":
        return _status(base, item)
    if kind == "contact":
        if base["field"] == "user_id_update":
            return _user_id_update(base, item)
        return profile_contact(base, item, context.get("entry_time"))
    if kind == "error":
        info = ErrorInfo.from_dict(item)
        return WebhookError(
            **base, timestamp=context.get("entry_time"), raw=item, code=info.code,
            title=info.title, message=info.message, details=info.details, href=info.href,
        )
    return FieldEvent(**base, timestamp=context.get("entry_time"), raw=item)


def prepare(kind: str, key: str, payload: bytes, attempt: int, check: Checker,
            context: Any = None) -> tuple[Event | None, list[str], str | None]:
    """The event to dispatch for a stored record, or None and the problems that keep it in
    quarantine; and the trace context stored with it (when tracing was on). ``context`` is
    the payload already decoded, when the record never left memory. Raises only on bugs; the
    caller quarantines those too."""
    if context is None:
        try:
            context = from_json(payload)
        except ValueError as exc:
            return None, [f"stored payload is not JSON: {exc}"], None
    if not isinstance(context, dict):
        return None, [f"stored payload is a JSON {type(context).__name__}, not an object"], None
    trace = context.get("trace")
    trace = trace if isinstance(trace, str) else None
    problems = check(kind, context) + _frame_problems(kind, context)
    if not problems:
        return decode(kind, key, context, attempt), [], trace
    if kind == "message":
        message = incomplete_message(key, context, attempt, problems)
        if message is not None:
            return message, [], trace
    return None, problems, trace


def incomplete_message(key: str, context: Mapping[str, Any], attempt: int,
                       problems: list[str]) -> Message | None:
    """The message marked incomplete when every problem lies in the object of its type (the
    message itself has its id, sender and type); else None. Its ``text`` and ``reply_id``,
    read from that object, are left out."""
    item = _obj(context.get("item"))
    kind = item.get("type")
    if not isinstance(kind, str) or kind == "metadata" or not problems:
        return None
    where = _json_path_of(kind)
    if not all(p.startswith((where + ":", where + ".", where + "[")) for p in problems):
        return None
    message = _message(_base(key, context, attempt), item, context.get("contact"))
    return replace(message, text=None, reply_id=None, incomplete=True,
                   incomplete_errors=tuple(problems))


def _frame_problems(kind: str, context: Mapping[str, Any]) -> list[str]:
    """The entry id and field name an event was stored with, held against the envelope
    schema's bounds (the item's own schema does not see them)."""
    if kind in ("timer", "handoff"):
        return []
    waba_id, field = context.get("waba_id"), context.get("field")
    if isinstance(waba_id, str) and isinstance(field, str):
        return list(_frame_problems_of(waba_id, field))  # the same few pairs, event after event
    return _check_frame(waba_id, field)


@functools.lru_cache(maxsize=1024)
def _frame_problems_of(waba_id: str, field: str) -> tuple[str, ...]:
    return tuple(_check_frame(waba_id, field))


def _check_frame(waba_id: Any, field: Any) -> list[str]:
    frame = {"object": "whatsapp_business_account", "entry": [
        {"id": waba_id, "changes": [{"field": field, "value": {}}]}]}
    problems = shared_validator().errors("envelope", frame)
    return [line.replace("$.entry[0].changes[0].field", "$.field")
            .replace("$.entry[0].id", "$.waba_id") for line in problems]


def _json_path_of(name: str) -> str:
    """``$.name`` as schema problems write it (``$["a b"]`` for names that are not plain)."""
    return json_path([name])
