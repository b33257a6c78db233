"""The payload builders give Meta's shapes: each passes the shipped schemas, splits into the
events it describes, and batches and encodes the way Meta does."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from samples import payload_bytes

from botkit.decode import decode
from botkit.json_codec import from_json
from botkit.testing import payloads as p
from botkit.validation.schemas import SchemaValidator
from botkit.webhook.splitting import split_body

VALIDATOR = SchemaValidator()
MESSAGE_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "message.schema.json"


def events(body: dict) -> list:
    """The typed events botkit makes of a body, in order."""
    result = split_body(json.loads(p.wire_bytes(body)))
    assert result.rejects == [] and result.stale == 0
    return [decode(r.kind, r.key, from_json(r.payload)) for r in result.records]


@pytest.mark.parametrize("kind", sorted(p.SAMPLES))
def test_every_sample_passes_the_shipped_schemas(kind):
    body = p.sample(kind)
    assert VALIDATOR.validate_body(body) == []
    assert VALIDATOR.validate_body(json.loads(p.wire_bytes(body))) == []


def test_the_validation_can_fail():
    body = p.text_message("hi")
    del body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]
    assert VALIDATOR.validate_body(body) != []


def test_every_field_with_a_schema_has_a_sample():
    assert set(VALIDATOR.fields()) - {"messages"} == set(p.FIELD_VALUES)


def test_every_message_type_with_a_schema_has_a_builder():
    schema = json.loads(MESSAGE_SCHEMA.read_text())
    typed = {rule["if"]["properties"]["type"]["const"] for rule in schema["allOf"]}
    built = {events(build())[-1].type for build in p.SAMPLES.values()
             if build()["entry"][0]["changes"][0]["value"].get("messages")}
    assert typed | {"request_welcome"} <= built


def test_text_message_becomes_a_message_and_the_sender_profile():
    contact, message = events(p.text_message("Hello there", name="Ana Souza",
                                             sender="5511955501234"))
    assert (message.kind, message.type, message.text) == ("message", "text", "Hello there")
    assert message.sender == "5511955501234" and message.contact.name == "Ana Souza"
    assert message.phone_number_id == p.PHONE_NUMBER_ID and message.waba_id == p.WABA_ID
    assert (contact.kind, contact.wa_id) == ("contact", "5511955501234")


def test_defaults_are_fresh_ids_and_the_current_time():
    first, second = p.text_message("a"), p.text_message("a")
    item = first["entry"][0]["changes"][0]["value"]["messages"][0]
    assert item["id"].startswith("wamid.HBgL")
    assert item["id"] != second["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert abs(int(item["timestamp"]) - time.time()) < 5


def test_options_set_ids_time_quote_and_business_number():
    body = p.text_message("yes", message_id="wamid.X1", timestamp=1782900000,
                          context="wamid.Q1", phone_number_id="117740318896574",
                          display_phone_number="15559876543", waba_id="187654398812345")
    [_, message] = events(body)
    assert (message.id, message.timestamp, message.context_id) == ("wamid.X1", 1782900000,
                                                                    "wamid.Q1")
    assert (message.phone_number_id, message.waba_id) == ("117740318896574", "187654398812345")
    assert message.raw["context"]["from"] == "15559876543"


def test_a_username_only_customer_has_a_user_id_and_no_phone_number():
    body = p.text_message("hey", sender=None, user_id="US.13491208655302741918", name="Sam")
    assert VALIDATOR.validate_body(body) == []
    [_, message] = events(body)
    assert message.sender is None and message.sender_user_id == "US.13491208655302741918"
    with pytest.raises(ValueError, match="sender"):
        p.text_message("nobody", sender=None)


@pytest.mark.parametrize(("body", "text", "reply_id"), [
    (p.button_reply_message("confirm-4471", "Confirm"), "Confirm", "confirm-4471"),
    (p.list_reply_message("ship_express", "Express", "By Thursday"), "Express", "ship_express"),
    (p.button_message("STOP_PROMOTIONS", "Stop promotions"), "Stop promotions", "STOP_PROMOTIONS"),
])
def test_choices_carry_their_ids(body, text, reply_id):
    message = events(body)[-1]
    assert (message.text, message.reply_id) == (text, reply_id)


def test_a_flow_reply_holds_its_answers_as_json_text():
    message = events(p.flow_reply_message({"flow_token": "t1", "date": "2026-07-14"}))[-1]
    answers = message.content["nfm_reply"]["response_json"]
    assert json.loads(answers) == {"flow_token": "t1", "date": "2026-07-14"}


def test_a_removed_reaction_has_no_emoji():
    assert "emoji" not in events(p.reaction_message("wamid.R", None))[-1].content
    thumbs = "\N{THUMBS UP SIGN}"
    assert events(p.reaction_message("wamid.R", thumbs))[-1].text == thumbs


def test_a_system_message_reports_the_changed_number_without_contacts():
    body = p.system_message("15550654321", sender="15557654321")
    assert "contacts" not in body["entry"][0]["changes"][0]["value"]
    [message] = events(body)
    change = message.identity_change
    assert (change.change, change.previous_wa_id, change.wa_id) == (
        "changed_number", "15557654321", "15550654321")


def test_status_builder():
    [sent] = events(p.status("wamid.S1", "sent", pricing_category="utility",
                             biz_opaque_callback_data="order-7"))
    assert (sent.key, sent.status, sent.pricing_category) == ("status:wamid.S1:sent", "sent",
                                                              "utility")
    assert sent.biz_opaque_callback_data == "order-7" and sent.recipient_id == p.CUSTOMER_WA_ID
    [failed] = events(p.status("wamid.S1", "failed"))
    assert [e.code for e in failed.errors] == [131026]


def test_value_error_builder():
    [error] = events(p.value_error(131035, "Message dropped"))
    assert (error.kind, error.code, error.title) == ("error", 131035, "Message dropped")


def test_field_change_uses_the_sample_value_with_overrides():
    [event] = events(p.field_change("account_review_update", decision="REJECTED"))
    assert (event.kind, event.field, event.event) == ("field", "account_review_update",
                                                      "REJECTED")
    body = p.field_change("message_template_status_update", {"event": "PAUSED",
                                                              "message_template_id": 7})
    assert body["entry"][0]["changes"][0]["value"] == {"event": "PAUSED",
                                                       "message_template_id": 7}
    assert abs(body["entry"][0]["time"] - time.time()) < 5
    with pytest.raises(ValueError, match="no sample value for field 'brand_new_field'"):
        p.field_change("brand_new_field")
    assert events(p.field_change("brand_new_field", {"x": 1}))[0].value == {"x": 1}


def test_webhook_batches_one_number_into_one_change():
    bodies = [p.text_message("one"), p.text_message("two"),
              p.image_message(sender="4915550123456", name="Jonas Weber"),
              p.status(status="read")]
    batch = p.webhook(*bodies)
    [entry] = batch["entry"]
    [change] = entry["changes"]
    value = change["value"]
    assert [m["type"] for m in value["messages"]] == ["text", "text", "image"]
    assert [c["wa_id"] for c in value["contacts"]] == [p.CUSTOMER_WA_ID, "4915550123456"]
    assert len(value["statuses"]) == 1
    assert VALIDATOR.validate_body(batch) == []
    kinds = [e.kind for e in events(batch)]
    assert kinds.count("message") == 3 and kinds.count("status") == 1
    assert bodies[0]["entry"][0]["changes"][0]["value"]["contacts"] == [
        {"profile": {"name": p.CUSTOMER_NAME}, "wa_id": p.CUSTOMER_WA_ID}]  # inputs untouched


def test_webhook_keeps_accounts_numbers_and_fields_apart():
    batch = p.webhook(p.text_message("a"), p.text_message("b", phone_number_id="117740318896574"),
                      p.field_change("security"), p.status(waba_id="187654398812345"))
    assert [e["id"] for e in batch["entry"]] == [p.WABA_ID, "187654398812345"]
    assert [c["field"] for c in batch["entry"][0]["changes"]] == ["messages", "messages",
                                                                   "security"]
    assert "time" in batch["entry"][0] and "time" not in batch["entry"][1]
    kinds = sorted(e.kind for e in events(batch))
    assert kinds == ["contact", "contact", "field", "message", "message", "status"]
    with pytest.raises(ValueError):
        p.webhook()


def test_wire_bytes_encode_like_meta():
    raw = payload_bytes("raw_wire_text_escaped.json").rstrip(b"\n")
    assert p.wire_bytes(json.loads(raw)) == raw  # a real delivery's exact bytes
    wire = p.wire_bytes(p.text_message("caf\N{LATIN SMALL LETTER E WITH ACUTE} a/b"))
    assert b"caf\\u00e9 a\\/b" in wire and wire.isascii()
    assert json.loads(wire)["entry"][0]["changes"][0]["value"]["messages"][0]["text"][
        "body"] == "caf\N{LATIN SMALL LETTER E WITH ACUTE} a/b"


def test_unknown_sample_kind_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown sample kind 'txt'.*text"):
        p.sample("txt")
