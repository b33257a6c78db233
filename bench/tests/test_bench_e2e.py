from botbench.e2e import _recipient, _recipients
from botbench.payloads import business_scoped_id, sender


def test_reply_recipient_is_found_in_every_recording_shape():
    assert _recipient({"messaging_product": "whatsapp", "to": "15557000003"}) == "15557000003"
    assert _recipient({"json": {"to": "15557000004"}}) == "15557000004"
    assert _recipient(b'{"to": "15557000005"}') == "15557000005"
    assert _recipient({"status": "read", "message_id": "wamid.x"}) is None
    assert _recipient("not json") is None


def test_both_user_ids_of_a_sender_lead_back_to_its_message():
    wa_id, _ = sender(42)
    mapping = _recipients({42, 43})
    assert mapping[wa_id] == 42
    assert mapping[business_scoped_id(wa_id)] == 42
    assert len(mapping) == 4
