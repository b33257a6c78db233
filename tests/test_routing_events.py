"""Typed events built from the test kit's webhook bodies, for routing tests without a server.

``event(body)`` turns a one-item body from :mod:`botkit.testing.payloads` into the event a
plugin would receive. The test at the bottom checks that against a running bot: for every kind
of sample, the event built here equals the one botkit dispatched, field by field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from botkit import hookimpl
from botkit.events import Contact, ErrorInfo, Event, FieldEvent, Message, Status, WebhookError
from botkit.testing import payloads
from botkit.testing.conversation import conversation


def _text_and_reply_id(kind: str, content: Mapping[str, Any]) -> tuple[str | None, str | None]:
    if kind == "text":
        return content.get("body"), None
    if kind == "button":
        return content.get("text"), content.get("payload")
    if kind == "interactive":
        choice = content.get(content.get("type", ""), {})
        return choice.get("title"), choice.get("id")
    if kind in ("reaction",):
        return content.get("emoji"), None
    if kind == "system":
        return content.get("body"), None
    return content.get("caption"), None


def _base(body: Mapping[str, Any]) -> tuple[dict[str, Any], Mapping[str, Any]]:
    entry = body["entry"][0]
    change = entry["changes"][0]
    value = change["value"]
    metadata = value.get("metadata", {})
    return ({"field": change["field"], "waba_id": entry["id"],
             "phone_number_id": metadata.get("phone_number_id"),
             "display_phone_number": metadata.get("display_phone_number")}, value)


def event(body: Mapping[str, Any]) -> Event:
    """The event of a one-item body: a message, a status, a value error or a field change."""
    base, value = _base(body)
    if base["field"] != "messages":
        return FieldEvent(key="field-key", timestamp=body["entry"][0].get("time"), raw=value,
                          **base)
    if value.get("messages"):
        item = value["messages"][0]
        kind = item["type"]
        content = item.get(kind) if isinstance(item.get(kind), Mapping) else {}
        text, reply_id = _text_and_reply_id(kind, content)
        profile = (value.get("contacts") or [None])[0]
        contact = None if profile is None else Contact(
            key=item["id"], timestamp=int(item["timestamp"]), raw=profile,
            wa_id=profile.get("wa_id"), user_id=profile.get("user_id"),
            name=profile.get("profile", {}).get("name"), **base)
        return Message(key=item["id"], timestamp=int(item["timestamp"]), raw=item,
                       id=item["id"], type=kind, sender=item.get("from"),
                       sender_user_id=item.get("from_user_id"), text=text, reply_id=reply_id,
                       context_id=item.get("context", {}).get("id"), contact=contact,
                       errors=tuple(ErrorInfo.from_dict(e) for e in item.get("errors", [])),
                       **base)
    if value.get("statuses"):
        item = value["statuses"][0]
        return Status(key=item["id"] + item["status"], timestamp=int(item["timestamp"]),
                      raw=item, id=item["id"], status=item["status"],
                      recipient_id=item.get("recipient_id"),
                      recipient_user_id=item.get("recipient_user_id"),
                      errors=tuple(ErrorInfo.from_dict(e) for e in item.get("errors", [])),
                      **base)
    info = ErrorInfo.from_dict(value["errors"][0])
    return WebhookError(key="error-key", raw=value["errors"][0], code=info.code,
                        title=info.title, message=info.message, details=info.details,
                        href=info.href, **base)


def contact(change: str = "profile", *, wa_id: str | None = payloads.CUSTOMER_WA_ID,
            user_id: str | None = None) -> Contact:
    return Contact(key="contact-key", field="messages", waba_id=payloads.WABA_ID,
                   phone_number_id=payloads.PHONE_NUMBER_ID, wa_id=wa_id, user_id=user_id,
                   change=change)


# Shorthands for the builders the routing tests use most.
def text(body: str, **options: Any) -> Message:
    return event(payloads.text_message(body, **options))  # type: ignore[return-value]


def tap(button_id: str, title: str = "Tap", **options: Any) -> Message:
    return event(payloads.button_reply_message(button_id, title, **options))  # type: ignore


def row(row_id: str, title: str = "Row", **options: Any) -> Message:
    return event(payloads.list_reply_message(row_id, title, **options))  # type: ignore


def template_tap(payload: str, title: str = "Quick reply", **options: Any) -> Message:
    return event(payloads.button_message(payload, title, **options))  # type: ignore


# -- the builders above agree with what a running bot dispatches ----------------------------

class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    @hookimpl
    def message_received(self, message: Message) -> None:
        self.events.append(message)

    @hookimpl
    def status_received(self, status: Status) -> None:
        self.events.append(status)

    @hookimpl
    def error_received(self, error: WebhookError) -> None:
        self.events.append(error)


def _same(built: Event, delivered: Event) -> None:
    assert type(built) is type(delivered)
    for name in (f.name for f in dataclasses.fields(delivered)):
        if name in ("key", "attempt", "contact"):
            continue
        assert getattr(built, name) == getattr(delivered, name), name
    if isinstance(built, Message) and isinstance(delivered, Message):
        assert (built.contact is None) == (delivered.contact is None)
        if built.contact and delivered.contact:
            assert (built.contact.wa_id, built.contact.name) == (
                delivered.contact.wa_id, delivered.contact.name)


async def test_built_events_equal_the_events_botkit_dispatches():
    recorder = Recorder()
    bodies = [payloads.sample(kind) for kind in (
        "text", "image", "voice", "audio", "video", "document", "sticker", "location", "order",
        "button_reply", "list_reply", "flow_reply", "button", "reaction", "reaction_removed",
        "unsupported", "status_failed", "status_read", "error")]
    async with conversation(enabled_plugins=["recorder"],
                            extra_plugins={"recorder": recorder}) as chat:
        for body in bodies:
            await chat.send(body)
        await chat.settle()
    built = {_identity(event(body)): event(body) for body in bodies}
    delivered = {_identity(item): item for item in recorder.events}
    assert set(built) == set(delivered) and len(recorder.events) == len(bodies)
    for identity, item in built.items():
        _same(item, delivered[identity])


def _identity(item: Event) -> tuple[Any, ...]:
    """Events of different conversations may be dispatched in any order: pair them by id."""
    if isinstance(item, Message):
        return ("message", item.id)
    if isinstance(item, Status):
        return ("status", item.id, item.status)
    assert isinstance(item, WebhookError)
    return ("error", item.code, item.details)
