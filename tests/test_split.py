"""Splitting bodies into records: every item, stable keys, stale items, broken envelopes."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import payload_bytes

from botkit.json_codec import digest
from botkit.webhook.splitting import split_body


def split(name: str, oldest: float = 0):
    return split_body(json.loads(payload_bytes(name)), oldest)


def kinds(result) -> list[str]:
    return [record.kind for record in result.records]


def test_message_becomes_contact_then_message_with_wamid_key():
    result = split("message_text.json")
    assert kinds(result) == ["contact", "message"]
    message = result.records[1]
    assert message.key == "message:wamid.HBgLMTU1NTc2NTQzMjEVAgASGBQzOEU5QkU2NDAxRTYyRjdEMTU1NQA="
    assert message.conversation == "109862385428321:15557654321"
    assert message.occurred_at == 1782900000
    stored = orjson.loads(message.payload)
    assert stored["contact"]["profile"]["name"] == "Priya Raman"
    assert stored["metadata"]["phone_number_id"] == "109862385428321"


def test_status_key_is_wamid_plus_status():
    result = split("statuses_batch.json")
    assert kinds(result) == ["status"] * 50
    keys = {record.key for record in result.records}
    assert len(keys) == 50
    first = json.loads(payload_bytes("statuses_batch.json"))["entry"][0]["changes"][0]["value"]
    wamid = first["statuses"][0]["id"]
    assert f"status:{wamid}:sent" in keys


def test_every_entry_and_change_is_walked():
    result = split("messages_multiple_entries_and_changes.json")
    assert sorted(kinds(result)) == ["contact", "contact", "message", "message", "status"]
    assert len({r.conversation.split(":")[0] for r in result.records}) == 3


def test_several_messages_in_one_change_are_matched_to_their_senders():
    result = split("messages_multiple_in_one_change.json")
    messages = [orjson.loads(r.payload) for r in result.records if r.kind == "message"]
    assert len(messages) == 3
    for message in messages:
        assert message["contact"]["wa_id"] == message["item"]["from"]


def test_value_level_errors_and_other_fields():
    assert kinds(split("message_errors_value_level.json")) == ["error"]
    result = split("field_message_template_status_update.json")
    assert kinds(result) == ["field"]
    assert result.records[0].key.startswith("message_template_status_update:")


def test_field_keys_ignore_key_order():
    assert digest({"a": 1, "b": [1, 2]}) == digest({"b": [1, 2], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})


def test_items_older_than_the_window_are_stale():
    result = split("message_text.json", oldest=1782900001)
    assert kinds(result) == ["contact"]  # contacts carry no time of their own
    assert result.stale == 1


def test_unknown_message_type_status_and_field_are_kept():
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [
            {"field": "messages", "value": {
                "metadata": {"phone_number_id": "9"},
                "messages": [{"id": "wamid.X", "from": "5", "timestamp": "1", "type": "poll"}],
                "statuses": [{"id": "wamid.Y", "status": "deleted", "timestamp": "1"}]}},
            {"field": "brand_new_field", "value": {"anything": True}},
        ]}],
    }
    result = split_body(body)
    assert kinds(result) == ["message", "status", "field"]
    assert result.records[1].key == "status:wamid.Y:deleted"


def test_broken_envelopes_are_rejected_with_reasons():
    assert "not 'whatsapp_business_account'" in split_body({"object": "page"}).rejects[0].reason
    assert "not an object" in split_body([1, 2]).rejects[0].reason
    assert split_body({"object": "whatsapp_business_account"}).rejects[0].reason.startswith(
        "$.entry")
    body = {"object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [5, {"field": "x"}]}, "junk"]}
    reasons = [reject.reason for reject in split_body(body).rejects]
    assert reasons == [
        "$.entry[0].changes[0] is not an object",
        "$.entry[0].changes[1] needs a string field and an object value",
        "$.entry[1] needs a string id and a list of changes",
    ]


def test_malformed_items_are_still_records():
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messages": ["text", {"no": "id"}]}}]}]}
    result = split_body(body)
    assert kinds(result) == ["message", "message"]
    assert all(r.key.startswith("message:h:") for r in result.records)


def test_lists_that_are_not_lists_are_taken_as_empty():
    for contacts in (True, 7, "abc", {"wa_id": "1"}):
        body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
            {"field": "messages", "value": {"contacts": contacts, "messages": [{"id": "m"}]}}]}]}
        result = split_body(body)
        assert [r.key for r in result.records] == ["message:m"], contacts


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["object", "entry", "id", "changes", "field", "value",
                                        "metadata", "contacts", "messages", "statuses",
                                        "errors", "user_id_update"]),
                       json_values, max_size=6))
def test_split_never_raises(doc):
    doc.setdefault("object", "whatsapp_business_account")
    split_body(doc)
    split_body({"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [{"field": "messages", "value": doc}]}]})


def test_records_take_the_memory_of_their_size():
    """Records live until they are dispatched: each payload must not keep the larger buffer
    it was encoded in (orjson's is 4 KiB and up)."""
    import tracemalloc

    body = json.loads(payload_bytes("message_text.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["statuses"] = [{"id": f"wamid.{n}", "status": "read", "timestamp": "1782900000",
                          "recipient_id": "15557654321"} for n in range(500)]
    tracemalloc.start()
    try:
        result = split_body(body)
        held, _ = tracemalloc.get_traced_memory()  # the records, their contexts and payloads
    finally:
        tracemalloc.stop()
    sizes = sum(len(record.payload) for record in result.records)
    assert len(result.records) == 502
    assert held < 4 * sizes
