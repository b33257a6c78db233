"""What dispatch does with events it cannot use as they are: an event that cannot even be
prepared is quarantined and dispatch goes on; a message with its id, sender and type whose
content is missing or malformed still reaches the plugins, marked incomplete, so the bot can
answer; oversized ids, numbers and types are caught by the schemas and quarantined. Real bots
on loopback, real SQLite."""

from __future__ import annotations

import json

import pytest
from samples import db_rows

from botkit import hookimpl
from botkit.store.records import EventRecord
from botkit.testing.payloads import image_message, message, status, text_message


class Reader:
    """Records each message; answers every message it receives, complete or not."""

    def __init__(self) -> None:
        self.messages: list = []

    @hookimpl
    def message_received(self, message):
        self.messages.append(message)

    @hookimpl
    def status_received(self, status):
        self.messages.append(status)

    @hookimpl
    def reply_for_message(self, message):
        return "Sorry, we could not read that; could you send it again?" \
            if message.incomplete else None


def quarantined(bot) -> list[tuple[str, str]]:
    return db_rows(bot, "SELECT key, reason FROM quarantine ORDER BY id")


async def test_an_event_that_cannot_be_prepared_is_quarantined_and_dispatch_goes_on(
        botkit_runner_factory):
    reader = Reader()
    bot = await botkit_runner_factory(enabled_plugins=["reader"],
                                      extra_plugins={"reader": reader})
    broken = [  # stored events no schema stands in front of: botkit's own kinds, bad bytes
        EventRecord("timer:broken", "timer", "pn:1", None,
                    json.dumps({"due_at": "not a time", "plugin": "reader"}).encode()),
        EventRecord("message:listed", "message", "pn:2", None, b"[1, 2, 3]"),
        EventRecord("message:garbled", "message", "pn:3", None, b"\xff{not json"),
    ]
    await bot.bot.store.append(broken)
    bot.bot.wake_dispatch()
    await bot.settle()
    reasons = dict(quarantined(bot))
    assert reasons["timer:broken"].startswith("cannot be prepared for dispatch: ValueError")
    assert reasons["message:listed"] == "stored payload is a JSON list, not an object"
    assert reasons["message:garbled"].startswith("stored payload is not JSON")
    # Dispatch is still running: a message posted afterwards reaches the plugin.
    assert (await bot.post(text_message("still there?"))).status_code == 200
    await bot.settle()
    assert [m.text for m in reader.messages] == ["still there?"]


def malformed_image() -> dict:
    body = image_message(media_id="m1")
    body["entry"][0]["changes"][0]["value"]["messages"][0]["image"] = {"id": 42}
    return body


@pytest.mark.parametrize(("build", "problem"), [
    (lambda: message("text", {"caption": "no body here"}), "$.text.body: required key is missing"),
    (lambda: message("image"), "$.image: required key is missing"),
    (malformed_image, "$.image.id: expected string, got integer"),
    (lambda: text_message("x" * 70_000), "$.text.body: "),  # over its length limit
], ids=["text-without-body", "image-without-object", "malformed-image", "oversized-text"])
async def test_a_message_with_a_broken_content_object_still_reaches_the_plugins(
        botkit_runner_factory, fake_graph, build, problem):
    body = build()
    reader = Reader()
    bot = await botkit_runner_factory(enabled_plugins=["reader"],
                                      extra_plugins={"reader": reader},
                                      whatsapp={"graph_url": fake_graph.url})
    assert (await bot.post(body)).status_code == 200
    await bot.settle()
    [received] = reader.messages
    assert received.incomplete
    assert any(error.startswith(problem) for error in received.incomplete_errors)
    assert received.text is None and received.sender and received.id
    [sent] = await fake_graph.wait_for_messages(1)
    assert sent["to"] == received.sender and "could not read" in sent["text"]["body"]
    assert quarantined(bot) == []


@pytest.mark.parametrize(("change", "where"), [
    (lambda item, value, entry: item.update(id="w" * 600), "$.id"),
    (lambda item, value, entry: item.update({"from": "1" * 300}), "$.from"),
    (lambda item, value, entry: item.update(type="t" * 300), "$.type"),
    (lambda item, value, entry: item.pop("from"), "$: needs one of the keys"),
    (lambda item, value, entry: value["metadata"].update(phone_number_id="9" * 300),
     "$.metadata.phone_number_id"),
    (lambda item, value, entry: entry.update(id="8" * 600), "$.waba_id"),
])
async def test_a_message_that_cannot_be_attributed_is_quarantined(
        botkit_runner_factory, change, where):
    reader = Reader()
    bot = await botkit_runner_factory(enabled_plugins=["reader"],
                                      extra_plugins={"reader": reader})
    body = text_message("hello", name=None)
    entry = body["entry"][0]
    value = entry["changes"][0]["value"]
    value.pop("contacts", None)
    change(value["messages"][0], value, entry)
    assert (await bot.post(body)).status_code == 200
    await bot.settle()
    assert reader.messages == []
    [(_, reason)] = quarantined(bot)
    assert where in reason


async def test_oversized_status_and_contact_fields_are_quarantined(botkit_runner_factory):
    reader = Reader()
    bot = await botkit_runner_factory(enabled_plugins=["reader"],
                                      extra_plugins={"reader": reader})
    assert (await bot.post(status(recipient="5" * 300))).status_code == 200
    contact_body = text_message("hi")
    contact_body["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"] = "6" * 300
    assert (await bot.post(contact_body)).status_code == 200
    await bot.settle()
    reasons = [reason for _, reason in quarantined(bot)]
    assert any(r.startswith("$.recipient_id") for r in reasons)
    assert any(r.startswith("$.wa_id") for r in reasons)
    assert [m.kind for m in reader.messages] == ["message"]  # the message itself is fine
