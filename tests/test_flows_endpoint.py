"""The Flows endpoint over real HTTP, with Meta's side played by real crypto."""

from __future__ import annotations

import asyncio
import base64
import json
import logging

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import rsa
from prometheus_client import CollectorRegistry

from botkit.errors import SettingsError
from botkit.flows import (
    FlowErrorNotification,
    FlowHandlers,
    FlowMetrics,
    FlowRequest,
    FlowResponse,
    FlowsEndpoint,
    FlowTokens,
)
from botkit.flows.testing import MetaFlowsClient, open_response, seal_request, signature
from botkit.testing.live_server import LiveServer

APP_SECRET = "flows-app-secret"
OLD_APP_SECRET = "flows-old-app-secret"
NOW = 1_782_903_600
FLOW = "1234567890123456"
CUSTOMER_TEXT = "Zoë from 221B Baker Street"
pytestmark = pytest.mark.asyncio(loop_scope="module")


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Bot:
    """Handlers of a small booking Flow, counting their calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.notes: list[FlowErrorNotification] = []
        self.noted = asyncio.Event()
        self.gate: asyncio.Event | None = None
        self.flows = FlowHandlers("booking")
        flows = self.flows

        @flows.on_init(flow_id=FLOW)
        def start(request: FlowRequest) -> FlowResponse:
            self.calls.append(("INIT", None))
            return FlowResponse.screen("WELCOME", {"greeting": f"Hi {request.claims.wa_id}"})

        @flows.on_data_exchange(flow_id=FLOW, screen="WELCOME")
        async def welcome(request: FlowRequest) -> FlowResponse:
            self.calls.append(("data_exchange", request.screen))
            if self.gate is not None:
                await self.gate.wait()
            return FlowResponse.close({"name": request.data["name"], "slots": 2})

        @flows.on_back(flow_id=FLOW, screen="DETAILS")
        def back(request: FlowRequest) -> FlowResponse:
            self.calls.append(("BACK", request.screen))
            return FlowResponse.screen("WELCOME", {"greeting": "Welcome back"})

        @flows.on_data_exchange(flow_id=FLOW, screen="BROKEN")
        def broken(request: FlowRequest) -> FlowResponse:
            raise RuntimeError(f"cannot book for {request.data['name']}")

        @flows.on_data_exchange(flow_id=FLOW, screen="UNENCODABLE")
        def unencodable(request: FlowRequest) -> FlowResponse:
            return FlowResponse.screen("WELCOME", {"when": object()})

    async def on_error(self, note: FlowErrorNotification) -> None:
        self.notes.append(note)
        self.noted.set()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock) -> FlowTokens:
    return FlowTokens(b"t" * 32, clock)


@pytest.fixture
def bot() -> Bot:
    return Bot()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


class Switch:
    """One live server for the whole module (starting uvicorn per test costs ~0.3 s); each test
    points it at an endpoint of its own."""

    def __init__(self) -> None:
        self.target: FlowsEndpoint | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.target is not None
        await self.target(scope, receive, send)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    switch = Switch()
    http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_keepalive_connections=0))
    async with LiveServer(switch) as live, http:
        yield live, switch, http


@pytest.fixture
async def serve(server):
    """``await serve(endpoint)``: the live server's URL, now answered by ``endpoint``."""
    live, switch, _ = server
    served: list[FlowsEndpoint] = []

    async def point(endpoint: FlowsEndpoint) -> str:
        switch.target = endpoint
        served.append(endpoint)
        return live.url

    yield point
    for endpoint in served:
        await endpoint.aclose()
    switch.target = None


@pytest.fixture
def endpoint(key, tokens, clock, bot, registry) -> FlowsEndpoint:
    return FlowsEndpoint(key, [APP_SECRET, OLD_APP_SECRET], bot.flows, tokens, clock,
                         on_error_notification=bot.on_error, metrics=FlowMetrics(registry),
                         path="/flows")


@pytest.fixture
def http(server) -> httpx.AsyncClient:
    return server[2]


@pytest.fixture
async def meta(endpoint, key, serve, http):
    url = await serve(endpoint)
    return MetaFlowsClient(url + "/flows", key.public_key(), APP_SECRET, http)


def token(tokens: FlowTokens, ttl: float = 900) -> str:
    return tokens.issue("106540352242922", "16505551234", "booking", FLOW, ttl)


def exchange(flow_token: str, screen: str = "WELCOME", **data) -> dict:
    return {"version": "3.0", "action": "data_exchange", "screen": screen,
            "data": {"name": CUSTOMER_TEXT, **data}, "flow_token": flow_token}


def refusals(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "botkit.flows"]


async def test_ping_is_answered_active(meta):
    answer = await meta.send({"version": "3.0", "action": "ping"})
    assert answer.status == 200
    assert answer.payload == {"data": {"status": "active"}}
    base64.b64decode(answer.text, validate=True)
    response = await meta.post(seal_request({"action": "ping"}, meta.public_key).body)
    assert response.headers["content-type"].startswith("text/plain")


async def test_init_gets_the_handler_screen(meta, tokens, bot):
    answer = await meta.send({"version": "3.0", "action": "INIT", "flow_token": token(tokens)})
    assert answer.status == 200
    assert answer.payload == {"screen": "WELCOME", "data": {"greeting": "Hi 16505551234"}}
    assert bot.calls == [("INIT", None)]


async def test_data_exchange_with_a_valid_token_closes_the_flow(meta, tokens, bot):
    flow_token = token(tokens)
    answer = await meta.send(exchange(flow_token))
    assert answer.status == 200
    assert answer.payload == {"screen": "SUCCESS", "data": {"extension_message_response": {
        "params": {"name": CUSTOMER_TEXT, "slots": 2, "flow_token": flow_token}}}}
    assert bot.calls == [("data_exchange", "WELCOME")]


async def test_back_is_routed_by_screen(meta, tokens, bot):
    answer = await meta.send({"version": "3.0", "action": "BACK", "screen": "DETAILS",
                              "flow_token": token(tokens)})
    assert answer.payload == {"screen": "WELCOME", "data": {"greeting": "Welcome back"}}
    assert bot.calls == [("BACK", "DETAILS")]


async def test_error_notification_is_acknowledged_and_passed_on(meta, tokens, bot, caplog):
    flow_token = token(tokens)
    answer = await meta.send({"version": "3.0", "action": "data_exchange", "screen": "WELCOME",
                              "flow_token": flow_token,
                              "data": {"error": "INVALID_SCREEN_DATA",
                                       "error_message": "greeting is missing"}})
    assert (answer.status, answer.payload) == (200, {"data": {"acknowledged": True}})
    await asyncio.wait_for(bot.noted.wait(), 5)
    [note] = bot.notes
    assert (note.error, note.error_message, note.screen) == (
        "INVALID_SCREEN_DATA", "greeting is missing", "WELCOME")
    assert note.claims is not None and note.claims.flow_id == FLOW
    assert bot.calls == []
    assert [r.getMessage() for r in refusals(caplog)] == [
        f"flow error notification acknowledged (flow {FLOW}, screen WELCOME)"]


async def test_error_notification_is_acknowledged_whatever_its_token(meta, bot, clock, tokens):
    expired = token(tokens, ttl=1)
    clock.now += 5
    for flow_token in ("forged.token", expired, None):
        payload = {"action": "INIT", "data": {"error": "E"}}
        if flow_token is not None:
            payload["flow_token"] = flow_token
        answer = await meta.send(payload)
        assert (answer.status, answer.payload) == (200, {"data": {"acknowledged": True}})
    while len(bot.notes) < 3:
        await asyncio.sleep(0.01)
    assert [n.claims for n in bot.notes] == [None, None, None]
    assert [n.flow_token for n in bot.notes] == ["forged.token", expired, None]


async def test_expired_forged_and_unknown_tokens_are_427(meta, tokens, clock, bot, caplog):
    expired = token(tokens, ttl=60)
    clock.now += 61
    forged = token(FlowTokens(b"f" * 32, clock))
    for flow_token, reason in [(expired, "flow token has expired"),
                               (forged, "flow token is not one this bot issued"),
                               ("flows-builder-5f2e", "flow token is malformed")]:
        caplog.clear()
        answer = await meta.send(exchange(flow_token))
        assert (answer.status, answer.text) == (427, "flow token not valid")
        [line] = refusals(caplog)
        assert line.getMessage() == f"flows request refused: 427 {reason} (flow ?, screen WELCOME)"
    assert bot.calls == []


async def test_signature_problems_are_432_and_nothing_is_decrypted(meta, tokens, bot, caplog):
    body = seal_request(exchange(token(tokens)), meta.public_key).body
    good = signature(body, APP_SECRET)
    cases = [
        ([], "signature header missing"),
        ([("x-hub-signature-256", signature(body, "another-secret"))],
         "signature does not match any app secret"),
        ([("x-hub-signature-256", good), ("x-hub-signature-256", good)],
         "signature header repeated"),
        ([("x-hub-signature-256", "sha1=" + good[7:])], "signature header malformed"),
        ([("x-hub-signature-256", good[:-2])], "signature header malformed"),
        ([("x-hub-signature-256", signature(body + b" ", APP_SECRET))],
         "signature does not match any app secret"),
    ]
    for headers, reason in cases:
        caplog.clear()
        response = await meta.post(body, sign=False, headers=headers)
        assert (response.status_code, response.text) == (432, "signature check failed")
        assert [r.getMessage() for r in refusals(caplog)] == [
            f"flows request refused: 432 {reason}"]
    assert bot.calls == []


async def test_the_previous_app_secret_still_signs(endpoint, key, tokens, bot, serve, http):
    old = MetaFlowsClient(await serve(endpoint) + "/flows", key.public_key(), OLD_APP_SECRET,
                          http)
    answer = await old.send({"action": "INIT", "flow_token": token(tokens)})
    assert answer.status == 200 and bot.calls == [("INIT", None)]


async def test_tampered_ciphertext_is_421(meta, tokens, bot):
    sealed = seal_request(exchange(token(tokens)), meta.public_key)
    envelope = json.loads(sealed.body)
    data = bytearray(base64.b64decode(envelope["encrypted_flow_data"]))
    data[-1] ^= 0x80
    envelope["encrypted_flow_data"] = base64.b64encode(bytes(data)).decode()
    response = await meta.post(json.dumps(envelope).encode())
    assert response.status_code == 421
    assert bot.calls == []


async def test_request_for_another_key_is_421(meta, tokens, bot, caplog):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = await meta.post(seal_request(exchange(token(tokens)), other.public_key()).body)
    assert (response.status_code, response.text) == (
        421, "the request cannot be decrypted with this endpoint's key")
    assert [r.getMessage() for r in refusals(caplog)] == [
        "flows request refused: 421 the AES key does not decrypt with the private key"]
    assert bot.calls == []


@pytest.mark.parametrize("build, status, reason", [
    (lambda pub, tok: b"not json", 400, "body is not JSON"),
    (lambda pub, tok: b"[]", 400, "body is not a JSON object"),
    (lambda pub, tok: json.dumps({"encrypted_flow_data": "AA==", "initial_vector": "AA==",
                                  "encrypted_aes_key": 5}).encode(),
     400, "field encrypted_aes_key is not a string"),
    (lambda pub, tok: json.dumps({"encrypted_flow_data": "%%%", "initial_vector": "AA==",
                                  "encrypted_aes_key": "AA=="}).encode(),
     400, "field encrypted_flow_data is not valid base64"),
    (lambda pub, tok: json.dumps({"encrypted_flow_data": "AA==",
                                  "encrypted_aes_key": "AA=="}).encode(),
     400, "field initial_vector is missing"),
    (lambda pub, tok: json.dumps({"encrypted_flow_data": "AA==", "initial_vector": "AA==",
                                  "encrypted_aes_key": "AA=="}).encode(),
     400, "initial_vector is 1 bytes, not 16"),
    (lambda pub, tok: json.dumps({"encrypted_flow_data": "AAAA", "encrypted_aes_key": "AAAA",
                                  "initial_vector": base64.b64encode(bytes(16)).decode()}
                                 ).encode(),
     421, "the AES key does not decrypt with the private key"),
    (lambda pub, tok: seal_request(b"[1]", pub).body, 400, "decrypted data is not a JSON object"),
    (lambda pub, tok: seal_request(b"\x00\x01", pub).body, 400, "decrypted data is not JSON"),
    (lambda pub, tok: seal_request({"version": "3.0"}, pub).body,
     400, "action is missing or not a string"),
    (lambda pub, tok: seal_request({"action": "ping", "version": 3}, pub).body,
     400, "version is not a string"),
    (lambda pub, tok: seal_request({"action": "navigate", "flow_token": tok}, pub).body,
     400, "unknown action 'navigate'"),
    (lambda pub, tok: seal_request({"action": "INIT"}, pub).body,
     400, "flow_token is missing or not a string"),
    (lambda pub, tok: seal_request({"action": "INIT", "flow_token": tok, "data": [1]}, pub).body,
     400, "data is not a JSON object"),
    (lambda pub, tok: seal_request({"action": "BACK", "flow_token": tok, "screen": 3}, pub).body,
     400, "screen is not a string"),
])
async def test_malformed_requests(meta, tokens, bot, caplog, build, status, reason):
    response = await meta.post(build(meta.public_key, token(tokens)))
    assert response.status_code == status
    assert [r.getMessage() for r in refusals(caplog)] == [
        f"flows request refused: {status} {reason}"]
    assert bot.calls == []


async def test_same_body_twice_gets_the_same_answer_and_one_handler_call(meta, tokens, bot):
    sealed = seal_request(exchange(token(tokens)), meta.public_key)
    first = await meta.deliver(sealed)
    second = await meta.deliver(sealed)
    assert first.status == second.status == 200
    assert first.text == second.text
    assert first.payload["screen"] == "SUCCESS"
    assert bot.calls == [("data_exchange", "WELCOME")]
    other = await meta.send(exchange(token(tokens)))  # a new request runs the handler again
    assert other.status == 200 and len(bot.calls) == 2


async def test_copies_arriving_together_run_the_handler_once(meta, tokens, bot):
    bot.gate = asyncio.Event()
    sealed = seal_request(exchange(token(tokens)), meta.public_key)
    copies = [asyncio.create_task(meta.deliver(sealed)) for _ in range(3)]
    while not bot.calls:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)
    bot.gate.set()
    answers = await asyncio.gather(*copies)
    assert {a.text for a in answers} == {answers[0].text} and answers[0].status == 200
    assert bot.calls == [("data_exchange", "WELCOME")]


async def test_remembered_answers_expire(meta, tokens, bot, clock):
    sealed = seal_request(exchange(token(tokens, ttl=3600)), meta.public_key)
    await meta.deliver(sealed)
    clock.now += 601
    await meta.deliver(sealed)
    assert len(bot.calls) == 2


async def test_replay_memory_is_bounded(key, tokens, clock, bot, serve, http):
    endpoint = FlowsEndpoint(key, [APP_SECRET], bot.flows, tokens, clock, replay_max_entries=1)
    meta = MetaFlowsClient(await serve(endpoint), key.public_key(), APP_SECRET, http)
    first = seal_request({"action": "INIT", "flow_token": token(tokens)}, meta.public_key)
    second = seal_request({"action": "INIT", "flow_token": token(tokens)}, meta.public_key)
    for sealed in (first, first, second, second, first):
        assert (await meta.deliver(sealed)).status == 200
    assert len(bot.calls) == 3  # first, second, then first again once second pushed it out


async def test_request_without_a_handler_is_400_and_logged_as_an_error(meta, tokens, caplog):
    answer = await meta.send(exchange(token(tokens), screen="UNKNOWN"))
    assert (answer.status, answer.text) == (400, "no handler for this request")
    [line] = refusals(caplog)
    assert line.levelno == logging.ERROR
    assert line.getMessage() == (
        f"flows request refused: 400 no handler for data_exchange of flow {FLOW} on screen "
        f"UNKNOWN (flow {FLOW}, screen UNKNOWN)")


async def test_failing_handlers_are_500_logged_without_customer_data(meta, tokens, caplog):
    for screen, says in [("BROKEN", "raised RuntimeError at "),
                         ("UNENCODABLE", "the answer cannot be encoded as JSON")]:
        caplog.clear()
        answer = await meta.send(exchange(token(tokens), screen=screen))
        assert (answer.status, answer.text) == (500, "handler failed")
        [line] = refusals(caplog)
        assert says in line.getMessage() and line.levelno == logging.ERROR
        assert CUSTOMER_TEXT not in line.getMessage() and line.exc_info is None


async def test_other_methods_paths_and_sizes(meta, http):
    got = await http.get(meta.url)
    assert (got.status_code, got.headers["allow"]) == (405, "POST")
    assert (await http.post(meta.url.replace("/flows", "/other"), content=b"{}")
            ).status_code == 404
    too_big = b"{" + b" " * (1024 * 1024) + b"}"
    response = await http.post(meta.url, content=too_big,
                               headers={"x-hub-signature-256": signature(too_big, APP_SECRET)})
    assert response.status_code == 413

    async def chunks():  # no Content-Length: refused as the bytes arrive
        for _ in range(20):
            yield b" " * 65536
    assert (await http.post(meta.url, content=chunks())).status_code == 413
    assert (await meta.send({"action": "ping"})).status == 200


async def test_logs_never_carry_keys_tokens_or_decrypted_data(meta, tokens, clock, caplog):
    caplog.set_level(logging.DEBUG)
    flow_token = token(tokens, ttl=1)
    await meta.send(exchange(flow_token, screen="BROKEN"))
    await meta.send(exchange(flow_token, screen=CUSTOMER_TEXT + "\nforged log line"))
    sealed = seal_request(exchange(flow_token), meta.public_key)
    clock.now += 5
    await meta.deliver(sealed)
    await meta.post(sealed.body, sign=False)
    text = caplog.text
    for secret in (CUSTOMER_TEXT, flow_token, APP_SECRET, base64.b64encode(sealed.aes_key).decode(),
                   sealed.aes_key.hex(), "Traceback"):
        assert secret not in text
    lines = [r.getMessage() for r in refusals(caplog)]
    assert len(lines) == 4 and "forged log line" not in text
    assert lines[1] == (f"flows request refused: 400 no handler for data_exchange of flow {FLOW} "
                        f"on screen (not a screen id) (flow {FLOW}, screen (not a screen id))")


async def test_metrics_count_per_flow_and_screen(meta, tokens, registry):
    await meta.send({"action": "ping"})
    await meta.send(exchange(token(tokens)))
    await meta.send(exchange(token(tokens), screen="UNKNOWN"))
    await meta.post(b"{}", sign=False)
    value = registry.get_sample_value
    assert value("botkit_flow_requests_total",
                 {"flow": FLOW, "screen": "WELCOME", "action": "data_exchange"}) == 1
    assert value("botkit_flow_requests_total",
                 {"flow": "none", "screen": "none", "action": "ping"}) == 1
    assert value("botkit_flow_errors_total",
                 {"flow": FLOW, "screen": "UNKNOWN", "status": "400"}) == 1
    assert value("botkit_flow_errors_total",
                 {"flow": "none", "screen": "none", "status": "432"}) == 1
    assert value("botkit_flow_request_seconds_count", {"flow": FLOW, "screen": "WELCOME"}) == 1
    sealed = seal_request({"action": "INIT", "flow_token": token(tokens)}, meta.public_key)
    await meta.deliver(sealed)
    await meta.deliver(sealed)
    assert value("botkit_flow_replays_total", {}) == 1
    assert value("botkit_flow_requests_total",  # a replay keeps its flow label
                 {"flow": FLOW, "screen": "none", "action": "INIT"}) == 2


async def test_hook_failure_is_logged_and_the_request_still_acknowledged(key, tokens, clock,
                                                                        caplog, serve, http):
    async def failing(note: FlowErrorNotification) -> None:
        raise ValueError(f"leaks {note.error_message}")

    endpoint = FlowsEndpoint(key, [APP_SECRET], FlowHandlers(), tokens, clock,
                             on_error_notification=failing)
    client = MetaFlowsClient(await serve(endpoint), key.public_key(), APP_SECRET, http)
    answer = await client.send({"action": "INIT", "data": {"error": "E",
                                                           "error_message": CUSTOMER_TEXT}})
    assert answer.payload == {"data": {"acknowledged": True}}
    await endpoint.aclose()
    messages = [r.getMessage() for r in refusals(caplog)]
    assert any(m.startswith("the flow error notification hook raised ValueError at ")
               for m in messages)
    assert CUSTOMER_TEXT not in caplog.text


async def test_an_endpoint_needs_an_app_secret(key, tokens, clock):
    for secrets in ([], [""]):
        with pytest.raises(SettingsError, match="at least one"):
            FlowsEndpoint(key, secrets, FlowHandlers(), tokens, clock)


async def test_answer_is_sealed_for_the_inverted_iv(meta):
    sealed = seal_request({"action": "ping"}, meta.public_key, iv=b"\x00" * 16)
    response = await meta.post(sealed.body)
    assert open_response(response.text, sealed.aes_key, sealed.iv) == {
        "data": {"status": "active"}}
