"""Split a webhook body into one storable record per item, each with its stable dedupe key.

This runs on the request path, so it only walks the envelope, computes keys and serialises each
item with its context; typing and schema checks happen later, off the request path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botkit.json_codec import digest, to_json, unix_time
from botkit.store.records import EventRecord, Reject

WHATSAPP_OBJECT = "whatsapp_business_account"


@dataclass(slots=True)
class SplitResult:
    records: list[EventRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    stale: int = 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class _Splitter:
    """Walks one body; collects records, rejects and the count of stale items."""

    def __init__(self, oldest: float, raw: bytes | None = None,
                 trace: str | None = None) -> None:
        self.oldest = oldest
        self.raw = raw
        self.trace = trace
        self.result = SplitResult()

    def add(self, key: str, kind: str, conversation: str, when: int | None, context: dict) -> None:
        if when is not None and when < self.oldest:
            self.result.stale += 1
            return
        if self.trace is not None:
            context["trace"] = self.trace  # the webhook request's span, for dispatch to link to
        self.result.records.append(
            EventRecord(key, kind, conversation, when, _compact(to_json(context)), context)
        )

    def reject(self, reason: str, fragment: Any) -> None:
        self.result.rejects.append(Reject(reason, to_json(fragment)))

    def reject_body(self, reason: str, doc: Any) -> None:
        """The whole body is unusable: keep the signed bytes as they arrived, when known, so
        that the signature can still be checked against what is kept."""
        fragment = self.raw if self.raw is not None else to_json(doc)
        self.result.rejects.append(Reject(reason, fragment))

    def body(self, doc: Any) -> None:
        if not isinstance(doc, dict):
            self.reject_body(f"body is a JSON {type(doc).__name__}, not an object", doc)
            return
        if doc.get("object") != WHATSAPP_OBJECT:
            self.reject_body(f"object is {_shown(doc.get('object'))}, not {WHATSAPP_OBJECT!r}",
                             doc)
            return
        entries = doc.get("entry")
        if not isinstance(entries, list):
            self.reject_body("$.entry is missing or not a list", doc)
            return
        for e, entry in enumerate(entries):
            self.entry(e, entry)

    def entry(self, e: int, entry: Any) -> None:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list) or not isinstance(entry.get("id"), str):
            self.reject(f"$.entry[{e}] needs a string id and a list of changes", entry)
            return
        waba_id = entry["id"]
        entry_time = unix_time(entry.get("time"))
        for c, change in enumerate(changes):
            path = f"$.entry[{e}].changes[{c}]"
            if not isinstance(change, dict):
                self.reject(f"{path} is not an object", change)
                continue
            name, value = change.get("field"), change.get("value")
            if not isinstance(name, str) or not isinstance(value, dict):
                self.reject(f"{path} needs a string field and an object value", change)
                continue
            if name == "messages":
                self.messages_value(waba_id, entry_time, value)
            elif name == "user_id_update":
                self.user_id_updates(waba_id, entry_time, value)
            else:
                self.field_value(waba_id, entry_time, name, value)

    def messages_value(self, waba_id: str, entry_time: int | None, value: dict) -> None:
        metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        pnid = _text(metadata.get("phone_number_id"))
        base = {"field": "messages", "waba_id": waba_id, "entry_time": entry_time,
                "metadata": metadata}
        contacts = [c for c in _items(value, "contacts") if isinstance(c, dict)]
        for contact in contacts:
            # The same id order as messages (phone first), so both share one conversation.
            who = _text(contact.get("wa_id")) or _text(contact.get("user_id"))
            self.add(f"contact:{pnid}:{digest(contact)}", "contact", f"{pnid}:{who}",
                     entry_time, {**base, "item": contact})
        for item in _items(value, "messages"):
            sender = _text(_get(item, "from")) or _text(_get(item, "from_user_id"))
            msg_id = _get(item, "id")
            key = f"message:{msg_id}" if isinstance(msg_id, str) and msg_id else (
                f"message:h:{digest(item)}")
            context = {**base, "contact": _sender_contact(item, contacts), "item": item}
            self.add(key, "message", f"{pnid}:{sender}", unix_time(_get(item, "timestamp")),
                     context)
        for item in _items(value, "statuses"):
            recipient = _text(_get(item, "recipient_id")) or _text(_get(item, "recipient_user_id"))
            status_id = _get(item, "id")
            key = (f"status:{status_id}:{_get(item, 'status')}" if isinstance(status_id, str)
                   else f"status:h:{digest(item)}")
            self.add(key, "status", f"{pnid}:{recipient}", unix_time(_get(item, "timestamp")),
                     {**base, "item": item})
        errors = _items(value, "errors")
        if errors:
            value_hash = digest(value)
            for i, item in enumerate(errors):
                self.add(f"error:{waba_id}:{value_hash}:{i}", "error", f"{pnid or waba_id}:errors",
                         entry_time, {**base, "item": item})

    def user_id_updates(self, waba_id: str, entry_time: int | None, value: dict) -> None:
        metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        pnid = _text(metadata.get("phone_number_id"))
        base = {"field": "user_id_update", "waba_id": waba_id, "entry_time": entry_time,
                "metadata": metadata}
        for item in _items(value, "user_id_update"):
            user_id = _get(item, "user_id") if isinstance(_get(item, "user_id"), dict) else {}
            who = _text(user_id.get("previous")) or _text(_get(item, "wa_id"))
            self.add(f"user_id_update:{waba_id}:{digest(item)}", "contact", f"{pnid}:{who}",
                     unix_time(_get(item, "timestamp")) or entry_time, {**base, "item": item})

    def field_value(self, waba_id: str, entry_time: int | None, name: str, value: dict) -> None:
        metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        self.add(f"{name}:{waba_id}:{digest(value)}", "field", f"{waba_id}:{name}", entry_time,
                 {"field": name, "waba_id": waba_id, "entry_time": entry_time,
                  "metadata": metadata, "item": value})


def _compact(data: bytes) -> bytes:
    """``data`` in a block of its own size: orjson returns its output in the buffer it grew,
    4 KiB and up even for a short record, and records live until they are dispatched."""
    return memoryview(data).tobytes()


def _get(item: Any, name: str) -> Any:
    """``item[name]`` for an object item, else ``None`` (malformed items are still stored)."""
    return item.get(name) if isinstance(item, dict) else None


def _items(value: dict, name: str) -> list[Any]:
    """The list under ``name``; non-object items are kept so that validation can quarantine them."""
    items = value.get(name)
    return items if isinstance(items, list) else []


def _sender_contact(message: Any, contacts: list[dict]) -> dict | None:
    """The ``value.contacts[]`` entry of the message's sender (by wa_id, then by user id)."""
    if not isinstance(message, dict):
        return None
    sender, sender_user = message.get("from"), message.get("from_user_id")
    for contact in contacts:
        if sender and contact.get("wa_id") == sender:
            return contact
        if sender_user and contact.get("user_id") == sender_user:
            return contact
    return contacts[0] if len(contacts) == 1 else None


def _shown(value: Any) -> str:
    """A value for a reason line: short, whatever was sent."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def split_body(doc: Any, oldest: float = 0, *, raw: bytes | None = None,
               trace: str | None = None) -> SplitResult:
    """Every item of every entry and change as a record; items older than ``oldest`` are stale.

    ``raw`` is the body as it arrived: a body rejected as a whole is kept as those bytes.
    Raises ``ValueError`` for a body too deeply nested to store item by item.
    """
    splitter = _Splitter(oldest, raw, trace)
    splitter.body(doc)
    return splitter.result
