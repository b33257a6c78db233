"""Sending a Flow: the interactive message, its limits, and the completion matched back to the
plugin that sent it, through the real app, webhook and dispatch."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from flows_kit import CUSTOMER, PHONE_NUMBER_ID, declare_flow_hooks, flows_settings, running_app

from botkit import hookimpl
from botkit.app import create_app
from botkit.flows.app import install_flows
from botkit.flows.messages import (
    FlowMessageError,
    FlowsNotConfiguredError,
    flow_completion_claims,
    flow_message,
)
from botkit.testing import APP_SECRET, FakeGraphAPI, make_settings
from botkit.webhook.signature import header_value

BOOKING = "1234567890123456"
NOW = 1_782_903_600.0
WABA = "104996122399160"


@pytest.fixture(autouse=True)
def flow_hooks(monkeypatch):
    declare_flow_hooks(monkeypatch)


@pytest.fixture
def bot(tmp_path):
    """A bot with ``[flows]`` (tokens valid 1 hour) and a fixed clock."""
    app = create_app(flows_settings(tmp_path, token_ttl_seconds=3600), clock=lambda: NOW)
    install_flows(app, app.extensions["botkit"])
    return app.extensions["botkit"]


def send(bot, **changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "phone_number_id": PHONE_NUMBER_ID, "wa_id": CUSTOMER, "plugin": "booking",
        "body": "Book a table", "flow_cta": "Book", "flow_id": BOOKING, "screen": "WHEN",
        "data": {"days": ["Friday"]}}
    arguments.update(changes)
    return flow_message(bot, **{k: v for k, v in arguments.items() if v is not None})


def test_a_navigate_flow_carries_a_token_bound_to_number_customer_plugin_and_expiry(bot):
    message = send(bot, header="Dinner", footer="Reply STOP to opt out")
    parameters = message["interactive"]["action"]["parameters"]
    token = parameters.pop("flow_token")
    assert message == {"type": "interactive", "interactive": {
        "type": "flow",
        "header": {"type": "text", "text": "Dinner"},
        "body": {"text": "Book a table"},
        "footer": {"text": "Reply STOP to opt out"},
        "action": {"name": "flow", "parameters": {
            "flow_message_version": "3", "flow_id": BOOKING, "flow_cta": "Book",
            "flow_action": "navigate",
            "flow_action_payload": {"screen": "WHEN", "data": {"days": ["Friday"]}}}}}}
    claims = bot.flow_tokens.verify(token)
    assert (claims.phone_number_id, claims.wa_id, claims.plugin, claims.flow_id) == (
        PHONE_NUMBER_ID, CUSTOMER, "booking", BOOKING)
    assert claims.expires_at == NOW + 3600  # [flows] token_ttl_seconds


def test_a_data_exchange_flow_by_name_in_draft_mode(bot):
    message = send(bot, flow_id=None, flow_name="table_booking", flow_action="data_exchange",
                   screen=None, data=None, mode="draft", ttl_seconds=60)
    parameters = message["interactive"]["action"]["parameters"]
    claims = bot.flow_tokens.verify(parameters.pop("flow_token"))
    assert parameters == {"flow_message_version": "3", "flow_name": "table_booking",
                          "flow_cta": "Book", "flow_action": "data_exchange", "mode": "draft"}
    assert (claims.flow_id, claims.expires_at) == ("table_booking", NOW + 60)


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"body": "x" * 1025}, "body", "limited to 1024 characters"),
    ({"body": "  "}, "body", "must not be empty"),
    ({"header": "h" * 61}, "header", "limited to 60"),
    ({"footer": "f" * 61}, "footer", "limited to 60"),
    ({"flow_cta": "A button label too long"}, "flow_cta", "limited to 20"),
    ({"flow_cta": "Book \N{PARTY POPPER}"}, "flow_cta", "emoji"),
    ({"flow_name": "table_booking"}, "flow_id", "exactly one of flow_id or flow_name"),
    ({"flow_id": None}, "flow_id", "exactly one of flow_id or flow_name"),
    ({"screen": None}, "screen", "needs the id of its first screen"),
    ({"screen": "SUCCESS"}, "screen", "is not a screen id"),
    ({"screen": "when-2"}, "screen", "is not a screen id"),
    ({"data": {}}, "data", "non-empty mapping"),
    ({"data": {"when": object()}}, "data", "JSON-serialisable"),
    ({"flow_action": "data_exchange"}, "screen", "give no screen and no data"),
    ({"flow_action": "open"}, "flow_action", "one of navigate, data_exchange"),
    ({"mode": "preview"}, "mode", "one of published, draft"),
    ({"wa_id": ""}, "wa_id", "must not be empty"),
    ({"ttl_seconds": 0}, "ttl_seconds", "at least 1"),
])
def test_what_meta_would_refuse_is_a_named_error(bot, changes, field, says):
    with pytest.raises(FlowMessageError) as caught:
        send(bot, **changes)
    assert caught.value.field == field and says in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_without_flows_settings_no_token_can_be_issued(tmp_path):
    app = create_app(make_settings(tmp_path))
    install_flows(app, app.extensions["botkit"])
    with pytest.raises(FlowsNotConfiguredError, match=r"add a \[flows\] table"):
        send(app.extensions["botkit"])


class Sender:
    """Sends a Flow when asked, and records what each completion tells it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.completions: list[tuple[Any, Any]] = []
        self.seen = asyncio.Event()

    @hookimpl
    def reply_for_message(self, bot, message):
        if message.type == "text" and message.text == f"book with {self.name}":
            return flow_message(bot, phone_number_id=message.phone_number_id,
                                wa_id=message.sender, plugin=self.name, body="Book a table",
                                flow_cta="Book", flow_id=BOOKING, flow_action="data_exchange")
        return None

    @hookimpl
    def message_received(self, bot, message) -> None:
        if message.type == "interactive":
            self.completions.append((flow_completion_claims(message, bot),
                                     flow_completion_claims(message, bot, plugin=self.name)))
            self.seen.set()


def inbound(kind: str, content: dict[str, Any], sender: str = CUSTOMER) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15551234567",
                          "phone_number_id": PHONE_NUMBER_ID},
             "contacts": [{"profile": {"name": "Priya"}, "wa_id": sender}],
             "messages": [{"from": sender, "id": f"wamid.{uuid.uuid4().hex}",
                           "timestamp": str(int(NOW)), "type": kind, kind: content}]}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA, "changes": [{"field": "messages", "value": value}]}]}


def completion(token: str) -> dict[str, Any]:
    answers = json.dumps({"day": "Friday", "flow_token": token})
    return inbound("interactive", {"type": "nfm_reply", "nfm_reply": {
        "response_json": answers, "body": "Sent", "name": "flow"}})


async def post(http: httpx.AsyncClient, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    answer = await http.post("/webhook", content=body, headers={
        "content-type": "application/json",
        "x-hub-signature-256": header_value(body, APP_SECRET)})
    assert answer.status_code == 200


async def test_a_completion_is_matched_back_to_the_plugin_that_sent_the_flow(tmp_path):
    booking, survey = Sender("booking"), Sender("survey")
    with FakeGraphAPI() as graph:
        settings = flows_settings(tmp_path, enabled_plugins=["survey", "booking"],
                                  whatsapp={"graph_url": graph.url})
        async with running_app(settings, {"booking": booking, "survey": survey},
                               clock=lambda: NOW) as (app, _, server), \
                httpx.AsyncClient(base_url=server.url) as http:
            await post(http, inbound("text", {"body": "book with booking"}))
            [sent] = await graph.wait_for_messages(1)
            assert sent["type"] == "interactive" and sent["to"] == CUSTOMER
            token = sent["interactive"]["action"]["parameters"]["flow_token"]
            await post(http, completion(token))
            await asyncio.wait_for(asyncio.gather(booking.seen.wait(), survey.seen.wait()), 10)
            bot = app.extensions["botkit"]
            stranger = bot.flow_tokens.issue(PHONE_NUMBER_ID, "15550000000", "booking",
                                             BOOKING, 600)
    [(claims, own)] = booking.completions
    assert claims is not None and own == claims
    assert (claims.plugin, claims.wa_id, claims.phone_number_id, claims.flow_id) == (
        "booking", CUSTOMER, PHONE_NUMBER_ID, BOOKING)
    [(seen_by_survey, survey_own)] = survey.completions
    assert seen_by_survey == claims and survey_own is None
    # Not a completion of ours: forged, from another customer, or not a Flow at all.
    message = completion(token)["entry"][0]["changes"][0]["value"]["messages"][0]
    assert flow_completion_claims(_message(message), bot) == claims
    forged = completion(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert flow_completion_claims(_message(_item(forged)), bot) is None
    assert flow_completion_claims(_message(_item(completion(stranger))), bot) is None
    assert flow_completion_claims(_message(message, phone_number_id="999"), bot) is None
    assert flow_completion_claims(
        _message(_item(inbound("text", {"body": token}))), bot) is None


def _item(payload: dict[str, Any]) -> dict[str, Any]:
    return payload["entry"][0]["changes"][0]["value"]["messages"][0]


def _message(item: dict[str, Any], phone_number_id: str = PHONE_NUMBER_ID):
    from botkit.events import Message

    return Message(key=item["id"], field="messages", waba_id=WABA,
                   phone_number_id=phone_number_id, raw=item, id=item["id"], type=item["type"],
                   sender=item["from"])
