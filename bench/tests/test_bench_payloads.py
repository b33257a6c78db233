import json

from botbench.payloads import (
    big_text_batch_body,
    compact,
    count_events,
    load_text_template,
    status_batch_body,
    text_bodies,
    text_message_body,
)


def test_text_body_is_compact_escaped_and_about_1_5_kb():
    body = text_message_body(7, load_text_template())
    assert 1400 <= len(body) <= 1700
    assert body.startswith(b'{"object":"whatsapp_business_account","entry":[{"id":')
    assert body == compact(json.loads(body))
    assert body.isascii()
    assert b"\\u2615" in body
    payload = json.loads(body)
    value = payload["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    assert value["contacts"][0]["wa_id"] == message["from"]
    assert value["contacts"][0]["user_id"].startswith("US.")
    assert message["type"] == "text" and len(message["text"]["body"]) > 1000


def test_text_bodies_have_unique_wamids():
    ids = [
        json.loads(b)["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        for b in text_bodies(0, 2000)
    ]
    assert len(set(ids)) == 2000
    assert all(wamid.startswith("wamid.") for wamid in ids)


def test_status_batch_has_unique_keys_and_contacts_only_for_delivered_kinds():
    body = status_batch_body(100, 1000)
    value = json.loads(body)["entry"][0]["changes"][0]["value"]
    statuses = value["statuses"]
    assert len(statuses) == 1000
    assert len({(s["id"], s["status"]) for s in statuses}) == 1000
    assert {s["status"] for s in statuses} == {"sent", "delivered", "read", "failed"}
    failed = [s for s in statuses if s["status"] == "failed"]
    assert all(s["errors"][0]["code"] == 131049 for s in failed)
    contact_ids = {c["wa_id"] for c in value["contacts"]}
    assert contact_ids == {s["recipient_id"] for s in statuses if s["status"] != "failed"}
    assert count_events(body) == 1000


def test_consecutive_batches_do_not_share_ids():
    first = json.loads(status_batch_body(0, 100))["entry"][0]["changes"][0]["value"]
    second = json.loads(status_batch_body(100, 100))["entry"][0]["changes"][0]["value"]
    assert not {s["id"] for s in first["statuses"]} & {s["id"] for s in second["statuses"]}


def test_big_body_fills_but_does_not_exceed_the_target():
    body = big_text_batch_body(0, 3_000_000)
    assert 2_990_000 <= len(body) <= 3_000_000
    messages = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"]
    assert count_events(body) == len(messages) <= 1000


def test_count_events_counts_every_item_kind():
    payload = {
        "entry": [
            {"changes": [{"value": {"messages": [{}, {}], "errors": [{}]}}]},
            {"changes": [{"value": {"statuses": [{}]}}, {"value": {"event": "APPROVED"}}]},
        ]
    }
    assert count_events(json.dumps(payload).encode()) == 5


def test_compact_escapes_like_meta():
    assert compact({"url": "https://x/y", "t": "caf\u00e9"}) == (
        b'{"url":"https:\\/\\/x\\/y","t":"caf\\u00e9"}'
    )
