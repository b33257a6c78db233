"""The fake Graph API answers like Meta, records every request and fails on demand."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from botkit.testing.fake_graph import FakeGraphAPI
from botkit.whatsapp.client import WhatsAppClient
from botkit.whatsapp.errors import InvalidRequest, PermanentGraphError

TOKEN = "fake-graph-test-token"
APP_ID = "1234567890"
APP_TOKEN = "1234567890|app-secret-token"
WABA_ID = "102290129340398"
PNID = "106540352242922"


@pytest.fixture
def fake() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(access_token=TOKEN) as server:
        yield server


@pytest.fixture
def http(fake: FakeGraphAPI) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=fake.url, headers=headers, timeout=5) as client:
        yield client


def text_message(body: str = "hello", to: str = "+16505551234") -> dict:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}


def assert_graph_error(response: httpx.Response, status: int, code: int) -> dict:
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(f"(#{code}) ")
    assert error["type"] == "OAuthException"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert error["error_data"]["details"]
    assert error["fbtrace_id"]
    return error


def test_send_answers_like_meta_and_is_recorded(fake: FakeGraphAPI, http: httpx.Client) -> None:
    before = time.time()
    first = http.post(f"/v23.0/{PNID}/messages", json=text_message("one")).json()
    second = http.post(f"/v23.0/{PNID}/messages", json=text_message("two")).json()

    assert first["messaging_product"] == "whatsapp"
    assert first["contacts"] == [{"input": "+16505551234", "wa_id": "16505551234"}]
    assert first["messages"][0]["id"].startswith("wamid.")
    assert "message_status" not in first["messages"][0]
    assert first["messages"][0]["id"] != second["messages"][0]["id"]
    assert [m["text"]["body"] for m in fake.sent_messages()] == ["one", "two"]
    assert fake.sent_messages("other-number") == []
    request = fake.requests[0]
    assert (request.method, request.path) == ("POST", f"/v23.0/{PNID}/messages")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json == text_message("one")
    assert request.time >= before


def test_template_send_is_accepted_with_status(http: httpx.Client) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": "16505551234",
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    }
    answer = http.post(f"/v23.0/{PNID}/messages", json=body).json()
    assert answer["messages"][0]["message_status"] == "accepted"


def test_send_to_a_user_id_answers_user_id(http: httpx.Client) -> None:
    body = {"messaging_product": "whatsapp", "recipient": "US.1349120865", "type": "text",
            "text": {"body": "hi"}}
    answer = http.post(f"/v23.0/{PNID}/messages", json=body).json()
    assert answer["contacts"] == [{"input": "US.1349120865", "user_id": "US.1349120865"}]


def test_mark_read_is_a_receipt_not_a_message(fake: FakeGraphAPI, http: httpx.Client) -> None:
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}
    assert http.post(f"/v23.0/{PNID}/messages", json=body).json() == {"success": True}
    assert fake.read_receipts() == [body]
    assert fake.sent_messages() == []


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"to": "1", "type": "text", "text": {"body": "x"}}, "messaging_product"),
        ({"messaging_product": "whatsapp", "to": "1", "type": "image"}, "image"),
        ({"messaging_product": "whatsapp", "to": "1", "type": "text", "text": {}}, "body"),
        ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, "to"),
        ({"messaging_product": "whatsapp", "status": "read"}, "message_id"),
    ],
)
def test_rejects_what_meta_rejects(
    fake: FakeGraphAPI, http: httpx.Client, body: dict, mentions: str
) -> None:
    error = assert_graph_error(http.post(f"/v23.0/{PNID}/messages", json=body), 400, 100)
    assert mentions in error["message"]
    assert fake.sent_messages() == [] and fake.read_receipts() == []


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic abc"])
def test_wrong_or_missing_token_is_190(fake: FakeGraphAPI, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.post(f"{fake.url}/v23.0/{PNID}/messages", json=text_message(), headers=headers)
    assert_graph_error(response, 401, 190)
    assert fake.sent_messages() == []


def test_without_a_configured_token_any_caller_is_accepted() -> None:
    with FakeGraphAPI() as fake:
        response = httpx.post(f"{fake.url}/v23.0/{PNID}/messages", json=text_message())
    assert response.status_code == 200


def test_fail_next_answers_graph_errors_then_recovers(
    fake: FakeGraphAPI, http: httpx.Client
) -> None:
    fake.fail_next(2, code=130429, retry_after=3, path_contains="/messages")
    media = http.get("/v23.0/unknown-media")  # does not match: not consumed
    assert_graph_error(media, 400, 100)
    for _ in range(2):
        response = http.post(f"/v23.0/{PNID}/messages", json=text_message())
        error = assert_graph_error(response, 400, 130429)
        assert response.headers["retry-after"] == "3"
        assert error["message"] == "(#130429) Rate limit hit"
    assert http.post(f"/v23.0/{PNID}/messages", json=text_message()).status_code == 200
    assert len(fake.sent_messages()) == 1
    assert len(fake.requests) == 4


def test_fail_next_without_code_is_a_bare_http_error(
    http: httpx.Client, fake: FakeGraphAPI
) -> None:
    fake.fail_next(status=503)
    response = http.post(f"/v23.0/{PNID}/messages", json=text_message())
    assert response.status_code == 503
    assert response.text == "503 Service Unavailable"
    assert "retry-after" not in response.headers


def test_drop_next_closes_without_answer(fake: FakeGraphAPI, http: httpx.Client) -> None:
    fake.drop_next()
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(f"/v23.0/{PNID}/messages", json=text_message())
    assert len(fake.requests) == 1 and fake.requests[0].json == text_message()
    assert fake.sent_messages() == []
    assert http.post(f"/v23.0/{PNID}/messages", json=text_message()).status_code == 200


def test_delay_next_holds_the_answer(fake: FakeGraphAPI, http: httpx.Client) -> None:
    fake.delay_next(1, 0.3)
    started = time.monotonic()
    assert http.post(f"/v23.0/{PNID}/messages", json=text_message()).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    http.post(f"/v23.0/{PNID}/messages", json=text_message())
    assert time.monotonic() - started < 0.3


def test_media_info_and_download(fake: FakeGraphAPI, http: httpx.Client) -> None:
    content = b"\xff\xd8\xff fake jpeg bytes"
    fake.add_media("MEDIA1", content, "image/jpeg")
    info = http.get("/v23.0/MEDIA1").json()
    assert info["id"] == "MEDIA1" and info["messaging_product"] == "whatsapp"
    assert info["mime_type"] == "image/jpeg"
    assert info["sha256"] == hashlib.sha256(content).hexdigest()
    assert info["file_size"] == len(content)
    assert info["url"].startswith(f"{fake.url}/media-download/MEDIA1?token=")

    download = http.get(info["url"])
    assert download.content == content
    assert download.headers["content-type"] == "image/jpeg"
    assert httpx.get(info["url"]).status_code == 401  # the bearer is required
    assert http.get(info["url"].split("?")[0] + "?token=forged").status_code == 404


def test_unknown_objects_and_paths(http: httpx.Client) -> None:
    error = assert_graph_error(http.get("/v23.0/999"), 400, 100)
    assert error["error_subcode"] == 33
    assert "Object with ID '999' does not exist" in error["message"]
    assert_graph_error(http.post(f"/v23.0/{WABA_ID}/subscribed_apps"), 400, 100)
    assert_graph_error(http.get("/not-a-version/x"), 400, 2500)


def test_subscribed_apps_round_trip(fake: FakeGraphAPI, http: httpx.Client) -> None:
    fake.add_app(APP_ID, APP_TOKEN)
    fake.add_waba(WABA_ID)
    assert http.post(f"/v23.0/{WABA_ID}/subscribed_apps").json() == {"success": True}
    listed = http.get(f"/v23.0/{WABA_ID}/subscribed_apps").json()
    assert listed == {"data": [{"whatsapp_business_api_data": {"id": APP_ID}}]}
    assert http.delete(f"/v23.0/{WABA_ID}/subscribed_apps").json() == {"success": True}
    assert fake.subscribed_apps(WABA_ID) == []


def test_subscriptions_need_the_app_token(fake: FakeGraphAPI, http: httpx.Client) -> None:
    fake.add_app(APP_ID, APP_TOKEN)
    assert_graph_error(http.get(f"/v23.0/{APP_ID}/subscriptions"), 400, 15)
    wrong = httpx.get(f"{fake.url}/v23.0/{APP_ID}/subscriptions?access_token=nope")
    assert_graph_error(wrong, 401, 190)
    right = httpx.get(f"{fake.url}/v23.0/{APP_ID}/subscriptions?access_token={APP_TOKEN}")
    assert right.json() == {"data": []}


def test_wait_for_messages_sync_times_out_with_a_count(fake: FakeGraphAPI) -> None:
    with pytest.raises(TimeoutError, match=r"expected 1 sent messages within 0\.1 s, got 0"):
        fake.wait_for_messages_sync(1, timeout=0.1)


async def test_wait_for_messages_returns_once_they_arrive(fake: FakeGraphAPI) -> None:
    async def send_later() -> None:
        await asyncio.sleep(0.05)
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for body in ("a", "b"):
                await http.post(f"{fake.url}/v23.0/{PNID}/messages", json=text_message(body))

    sender = asyncio.create_task(send_later())
    messages = await fake.wait_for_messages(2, timeout=5)
    await sender
    assert [m["text"]["body"] for m in messages] == ["a", "b"]


def test_reset_forgets_traffic_and_faults(fake: FakeGraphAPI, http: httpx.Client) -> None:
    fake.add_media("M", b"x", "text/plain")
    http.post(f"/v23.0/{PNID}/messages", json=text_message())
    fake.fail_next(5)
    fake.reset()
    assert fake.requests == [] and fake.sent_messages() == []
    assert http.post(f"/v23.0/{PNID}/messages", json=text_message()).status_code == 200
    assert http.get("/v23.0/M").status_code == 200  # declared media survive a reset


async def test_async_context_manager_serves_and_stops() -> None:
    async with FakeGraphAPI() as fake, httpx.AsyncClient() as http:
        url = fake.url
        answer = await http.post(f"{url}/v23.0/{PNID}/messages", json=text_message())
        assert answer.status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v23.0/x", timeout=1)


# -- webhook subscriptions: the fake verifies the callback like Meta does ---------------------


class CallbackEndpoint:
    """A tiny webhook verification endpoint on a loopback port, answering in several ways."""

    def __init__(self, verify_token: str, behaviour: str = "correct") -> None:
        self.verify_token = verify_token
        self.behaviour = behaviour
        self.hits: list[dict[str, list[str]]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                endpoint.hits.append(query)
                token_ok = query.get("hub.verify_token") == [endpoint.verify_token]
                challenge = query.get("hub.challenge", [""])[0]
                if endpoint.behaviour == "forbidden" or not token_ok:
                    self._answer(403, b"Verification token mismatch")
                elif endpoint.behaviour == "wrong-challenge":
                    self._answer(200, f'"{challenge}"'.encode())
                else:
                    self._answer(200, challenge.encode())

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def callback() -> Iterator[CallbackEndpoint]:
    endpoint = CallbackEndpoint("the-verify-token")
    yield endpoint
    endpoint.close()


@pytest.fixture
async def app_client(fake: FakeGraphAPI) -> WhatsAppClient:
    fake.add_app(APP_ID, APP_TOKEN)
    async with WhatsAppClient(access_token=TOKEN, graph_url=fake.url, max_attempts=1) as client:
        yield client


def subscribe_form(callback: CallbackEndpoint, verify_token: str = "the-verify-token") -> dict:
    return {
        "object": "whatsapp_business_account",
        "callback_url": callback.url,
        "verify_token": verify_token,
        "fields": "messages,message_template_status_update",
        "include_values": "true",
    }


async def test_subscription_verifies_the_callback_then_records(
    fake: FakeGraphAPI, app_client: WhatsAppClient, callback: CallbackEndpoint
) -> None:
    path = f"/{APP_ID}/subscriptions"
    answer = await app_client.request("POST", path, data=subscribe_form(callback), token=APP_TOKEN)

    assert answer == {"success": True}
    [hit] = callback.hits
    assert hit["hub.mode"] == ["subscribe"] and hit["hub.verify_token"] == ["the-verify-token"]
    assert hit["hub.challenge"][0].isdigit()
    listed = await app_client.request("GET", path, token=APP_TOKEN)
    assert listed == {
        "data": [
            {
                "object": "whatsapp_business_account",
                "fields": [
                    {"name": "messages", "version": "v23.0"},
                    {"name": "message_template_status_update", "version": "v23.0"},
                ],
                "callback_url": callback.url,
                "active": True,
            }
        ]
    }
    await app_client.request("DELETE", path, params={"fields": "messages"}, token=APP_TOKEN)
    [entry] = fake.subscriptions(APP_ID)
    assert [f["name"] for f in entry["fields"]] == ["message_template_status_update"]
    await app_client.request("DELETE", path, token=APP_TOKEN)
    assert fake.subscriptions(APP_ID) == []


@pytest.mark.parametrize(
    ("behaviour", "verify_token", "expected"),
    [
        ("correct", "not-the-token", "HTTP Status Code = 403"),
        ("forbidden", "the-verify-token", "HTTP Status Code = 403"),
        ("wrong-challenge", "the-verify-token", "Response does not match challenge"),
    ],
)
async def test_subscription_fails_when_the_callback_does_not_verify(
    fake: FakeGraphAPI,
    app_client: WhatsAppClient,
    callback: CallbackEndpoint,
    behaviour: str,
    verify_token: str,
    expected: str,
) -> None:
    callback.behaviour = behaviour
    with pytest.raises(PermanentGraphError) as caught:
        await app_client.request(
            "POST", f"/{APP_ID}/subscriptions", data=subscribe_form(callback, verify_token),
            token=APP_TOKEN,
        )
    assert caught.value.code == 2200
    assert "Callback verification failed with the following errors" in str(caught.value)
    assert expected in str(caught.value)
    assert len(callback.hits) == 1
    assert fake.subscriptions(APP_ID) == []


async def test_subscription_to_an_unreachable_callback_fails(
    fake: FakeGraphAPI, app_client: WhatsAppClient, callback: CallbackEndpoint
) -> None:
    form = subscribe_form(callback)
    callback.close()
    with pytest.raises(PermanentGraphError, match="HTTP Status Code = 502") as caught:
        await app_client.request("POST", f"/{APP_ID}/subscriptions", data=form, token=APP_TOKEN)
    assert caught.value.code == 2200


async def test_subscription_for_an_unknown_app_is_code_100(app_client: WhatsAppClient) -> None:
    with pytest.raises(InvalidRequest, match="Object with ID '42' does not exist") as caught:
        await app_client.request("GET", "/42/subscriptions", token=APP_TOKEN)
    assert caught.value.subcode == 33
