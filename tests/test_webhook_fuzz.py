"""Generated bodies and headers never make the endpoint answer 5xx or crash."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botkit.app import create_app
from botkit.testing import APP_SECRET, make_settings, signature

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


def envelope(value):
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()),
                      json_values.map(lambda v: json.dumps(envelope(v)).encode())),
       extra=headers, sign=st.booleans())
def test_no_generated_request_gets_a_5xx(tmp_path_factory, body, extra, sign):
    import asyncio

    async def run():
        app = create_app(make_settings(tmp_path_factory.mktemp("fuzz")))
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
            dispatcher = app.extensions["botkit.dispatcher"]
            await dispatcher.wait_idle()

    asyncio.run(run())
