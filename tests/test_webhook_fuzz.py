"""Generated bodies and headers never make the endpoint answer 5xx or crash, and dispatch keeps
running after each of them: a valid message posted next is still handed to plugins."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from samples import Recorder

from botkit.app import create_app
from botkit.testing import APP_SECRET, make_settings, signature, signed_headers
from botkit.testing.payloads import new_wamid, text_message, wire_bytes

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["object", "entry", "id", "changes", "field", "value", "messages",
                         "statuses", "errors", "contacts", "metadata", "type", "timestamp",
                         "from", "status", "text"]) | st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)
headers = st.dictionaries(
    st.sampled_from(["x-hub-signature-256", "content-type", "content-length", "x-other"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    max_size=3)


# Items in a well-formed envelope, so that generated events get stored and reach dispatch.
items = st.dictionaries(
    st.sampled_from(["id", "from", "timestamp", "type", "text", "status", "recipient_id",
                     "errors", "context", "wa_id", "profile", "user_id", "button"]),
    json_values | st.sampled_from(["text", "image", "read", "failed", "wamid.X", "1782900000"]),
    max_size=6)
change_values = st.fixed_dictionaries({}, optional={
    "messaging_product": st.just("whatsapp"),
    "metadata": st.fixed_dictionaries({"phone_number_id": st.text(max_size=4)}) | json_values,
    "contacts": st.lists(items, max_size=2),
    "messages": st.lists(items, max_size=3),
    "statuses": st.lists(items, max_size=3),
    "errors": st.lists(items, max_size=2),
    "user_id_update": st.lists(items, max_size=2),
})
field_names = st.sampled_from(["messages", "user_id_update", "account_update",
                               "message_template_status_update"]) | st.text(max_size=8)


def envelope(value, field="messages"):
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": field, "value": value}]}]}


async def dispatched(recorder: Recorder, key: str, timeout: float = 5.0) -> bool:
    """Whether the message ``key`` reaches the plugin within ``timeout`` seconds."""
    for _ in range(int(timeout / 0.01)):
        if any(call_key == key for hook, call_key, _ in recorder.calls
               if hook == "message_received"):
            return True
        await asyncio.sleep(0.01)
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()),
                      json_values.map(lambda v: json.dumps(envelope(v)).encode()),
                      st.builds(envelope, change_values, field_names).map(
                          lambda doc: json.dumps(doc).encode())),
       extra=headers, sign=st.booleans())
def test_no_generated_request_gets_a_5xx(tmp_path_factory, body, extra, sign):
    async def run():
        recorder = Recorder()
        app = create_app(make_settings(tmp_path_factory.mktemp("fuzz"), enabled_plugins=["rec"]),
                         plugins={"rec": recorder})
        async with app.test_app() as test_app:
            client = test_app.test_client()
            sent = dict(extra)
            sent.pop("content-length", None)
            if sign:
                sent["x-hub-signature-256"] = signature(body, APP_SECRET)
            response = await client.post("/webhook", data=body, headers=sent)
            assert response.status_code < 500
            if sign:
                assert response.status_code == 200

            # Whatever that request left behind, dispatch still hands a valid message over.
            wamid = new_wamid()
            valid = wire_bytes(text_message("Is the blue planter back in stock?",
                                            message_id=wamid))
            after = await client.post("/webhook", data=valid,
                                      headers=signed_headers(valid, APP_SECRET))
            assert after.status_code == 200
            assert await dispatched(recorder, f"message:{wamid}"), (
                "dispatch stopped handing messages to plugins")
            await app.extensions["botkit.dispatcher"].wait_idle()

    asyncio.run(run())
