"""Route modules extend the fake Graph API without touching its server: order, tokens, fallbacks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest

from botkit.testing.fake_graph import (
    FakeGraphAPI,
    GraphFake,
    RecordedRequest,
    Reply,
    Route,
    graph_error,
    json_reply,
)
from botkit.testing.fake_graph.routes import DEFAULT_ROUTES

TOKEN = "route-test-token"
WABA_ID = "102290129340398"


def list_templates(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> Reply:
    return json_reply({"data": [], "waba": match["waba_id"], "limit": request.query.get("limit")})


async def slow_echo(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> Reply:
    await asyncio.sleep(0.01)
    return json_reply({"echo": request.json})


def decline(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> None:
    return None


TEMPLATE_ROUTES = [
    Route("GET", r"/v\d+\.\d+/(?P<waba_id>\d+)/message_templates", list_templates),
    Route("POST", r"/v\d+\.\d+/(?P<waba_id>\d+)/message_templates", slow_echo),
    Route("GET", r"/public/ping", lambda fake, request, match: json_reply("pong"), auth=False),
    Route("GET", r"/v\d+\.\d+/(?P<flow_id>\d+)/assets", decline),
]


@pytest.fixture
def fake() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(access_token=TOKEN, routes=TEMPLATE_ROUTES) as server:
        yield server


@pytest.fixture
def http(fake: FakeGraphAPI) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=5) as client:
        yield client


def test_added_routes_come_after_the_built_in_ones(fake: FakeGraphAPI) -> None:
    assert fake.routes == [*DEFAULT_ROUTES, *TEMPLATE_ROUTES]
    assert FakeGraphAPI().routes == list(DEFAULT_ROUTES)


def test_a_sync_handler_gets_the_named_groups(http: httpx.Client) -> None:
    answer = http.get(f"/v23.0/{WABA_ID}/message_templates/", params={"limit": "5"})
    assert answer.status_code == 200
    assert answer.json() == {"data": [], "waba": WABA_ID, "limit": "5"}


def test_an_async_handler_is_awaited(fake: FakeGraphAPI, http: httpx.Client) -> None:
    answer = http.post(f"/v23.0/{WABA_ID}/message_templates", json={"name": "order_update"})
    assert answer.json() == {"echo": {"name": "order_update"}}
    assert fake.requests[-1].path == f"/v23.0/{WABA_ID}/message_templates"


def test_routes_check_the_access_token_unless_they_opt_out(fake: FakeGraphAPI) -> None:
    with httpx.Client(base_url=fake.url, timeout=5) as anonymous:
        refused = anonymous.get(f"/v23.0/{WABA_ID}/message_templates")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == 190
        assert anonymous.get("/public/ping").json() == "pong"


def test_an_unmatched_method_or_a_declining_handler_gets_metas_answers(http: httpx.Client) -> None:
    for answer, object_id in ((http.delete(f"/v23.0/{WABA_ID}/message_templates"), WABA_ID),
                              (http.get("/v23.0/777/assets"), "777")):
        error = answer.json()["error"]
        assert answer.status_code == 400
        assert (error["code"], error["error_subcode"]) == (100, 33)
        assert f"Object with ID '{object_id}' does not exist" in error["message"]
    unknown = http.get("/public/ping/more")
    assert unknown.json()["error"]["code"] == 2500


def test_a_route_put_first_overrides_a_built_in_one(fake: FakeGraphAPI,
                                                    http: httpx.Client) -> None:
    def closed(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> Reply:
        return graph_error(400, 131031, "Business account locked")

    fake.routes.insert(0, Route("POST", r"/v\d+\.\d+/[^/]*/messages", closed))
    body = {"messaging_product": "whatsapp", "to": "16505551234", "type": "text",
            "text": {"body": "hi"}}
    answer = http.post("/v23.0/106540352242922/messages", json=body)
    assert answer.json()["error"]["code"] == 131031
    assert fake.sent_messages() == []
