"""Arbitrary signed bodies never get a 5xx from the Flows endpoint, and it keeps answering."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from botkit.flows import FlowHandlers, FlowRequest, FlowResponse, FlowsEndpoint, FlowTokens
from botkit.flows.testing import open_response, seal_request, signature
from botkit.testing.live_server import LiveServer

APP_SECRET = "fuzz-app-secret"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TOKENS = FlowTokens(b"z" * 32, time.time)
VALID_TOKEN = TOKENS.issue("1065", "1650", "fuzz", "F1", 3600)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=12)
base64_text = st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())
field_values = st.one_of(base64_text, st.text(max_size=40), json_values)
envelopes = st.fixed_dictionaries(
    {}, optional={"encrypted_flow_data": field_values, "encrypted_aes_key": field_values,
                  "initial_vector": field_values}).map(lambda d: json.dumps(d).encode())
ACTIONS = st.sampled_from(["ping", "INIT", "data_exchange", "BACK", "navigate"])
TOKENS_SEEN = st.sampled_from([VALID_TOKEN, "flows-builder-1", VALID_TOKEN[:-3] + "AAA"])
loose_payloads = st.fixed_dictionaries({}, optional={
    "action": ACTIONS | json_values, "version": st.just("3.0") | json_values,
    "screen": json_values, "flow_token": TOKENS_SEEN | json_values, "data": json_values})
close_payloads = st.fixed_dictionaries(
    {"action": ACTIONS, "flow_token": TOKENS_SEEN},
    optional={"version": st.just("3.0"), "screen": st.sampled_from(["WELCOME", "", "SUCCESS"]),
              "data": st.dictionaries(st.sampled_from(["error", "error_message", "name"]),
                                      json_values, max_size=2)})
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def flip(body: bytes, index: int) -> bytes:
    envelope = json.loads(body)
    data = bytearray(base64.b64decode(envelope["encrypted_flow_data"]))
    data[index % len(data)] ^= 1
    envelope["encrypted_flow_data"] = base64.b64encode(bytes(data)).decode()
    return json.dumps(envelope).encode()


sealed = st.one_of(loose_payloads, close_payloads, close_payloads, json_values).map(
    lambda p: seal_request(p, KEY.public_key()).body)
foreign = close_payloads.map(lambda p: seal_request(p, OTHER_KEY.public_key()).body)
tampered = st.builds(flip, sealed, st.integers(0, 10_000))
bodies = st.one_of(st.binary(max_size=400), json_values.map(lambda v: json.dumps(v).encode()),
                   envelopes, sealed, sealed, foreign, tampered)


def echo(request: FlowRequest) -> FlowResponse:
    return FlowResponse.screen("NEXT", {"seen": request.data})


@pytest.fixture(scope="module")
def url():
    """The endpoint on a live server in a thread of its own, for synchronous examples."""
    flows = FlowHandlers()
    for action in ("INIT", "data_exchange", "BACK"):
        flows.add(action, echo)
    endpoint = FlowsEndpoint(KEY, [APP_SECRET], flows, TOKENS, time.time)
    started, box = threading.Event(), {}

    async def serve():
        box["stop"] = asyncio.Event()
        box["loop"] = asyncio.get_running_loop()
        async with LiveServer(endpoint) as server:
            box["url"] = server.url
            started.set()
            await box["stop"].wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10)
    yield box["url"]
    box["loop"].call_soon_threadsafe(box["stop"].set)
    thread.join(10)


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        yield client


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies)
def test_no_signed_body_gets_a_5xx(url, http, body):
    response = http.post(url, content=body,
                         headers={"x-hub-signature-256": signature(body, APP_SECRET)})
    assert response.status_code in (200, 400, 421, 427), response.text
    event(f"status {response.status_code}")


def test_the_endpoint_still_answers_a_ping_afterwards(url, http):
    sealed = seal_request({"version": "3.0", "action": "ping"}, KEY.public_key())
    response = http.post(url, content=sealed.body,
                         headers={"x-hub-signature-256": signature(sealed.body, APP_SECRET)})
    assert response.status_code == 200
    assert open_response(response.text, sealed.aes_key, sealed.iv) == {
        "data": {"status": "active"}}
