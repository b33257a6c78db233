"""Sample payloads, a clock near their timestamps, and a fake CRM on a loopback port."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from quart import Quart, request

from botkit.testing import LiveServer

SHARED = Path(os.environ.get("BOTKIT_SHARED_DIR")
              or Path(__file__).resolve().parents[3].parent / "shared")
PAYLOADS = SHARED / "whatsapp" / "payloads"
PAYLOAD_NOW = 1782900000 + 3600


class Payloads:
    """Sample webhook bodies, and text messages from any customer."""

    def load(self, name: str) -> dict[str, Any]:
        return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))

    def text(self, body: str, n: int, *, wa_id: str = "15557654321",
             name: str = "Priya Raman", user_id: str | None = None,
             timestamp: int = 1782900000) -> dict[str, Any]:
        payload = self.load("message_text.json")
        value = payload["entry"][0]["changes"][0]["value"]
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        if user_id:
            value["contacts"][0]["user_id"] = user_id
        value["messages"][0].update(id=f"wamid.TEST{n:04d}", timestamp=str(timestamp),
                                    text={"body": body}, **{"from": wa_id})
        return payload


class FakeCrm:
    """A CRM upsert endpoint that applies each Idempotency-Key once, as CRMs that support the
    header do. ``script`` scripts the next answers:

    ``unavailable`` (503, nothing stored), ``busy`` (429 with Retry-After: 0), ``lost`` (stored,
    but the answer is a 502 as if a proxy lost it), ``reject`` (422), then normal answers.
    """

    def __init__(self) -> None:
        self.script: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.upserts: dict[str, dict[str, Any]] = {}
        self.url = ""
        app = Quart("fake-crm")

        @app.post("/api/contacts")
        async def upsert():
            body = await request.get_json()
            key = request.headers.get("Idempotency-Key", "")
            self.requests.append({"headers": dict(request.headers), "body": body})
            step = self.script.pop(0) if self.script else "ok"
            if step == "unavailable":
                return {"error": "maintenance"}, 503
            if step == "busy":
                return {"error": "slow down"}, 429, {"Retry-After": "0"}
            if step == "reject":
                return {"error": "customer_id must be an email address"}, 422
            self.upserts.setdefault(key, body)
            if step == "lost":
                return "Bad Gateway", 502
            return {"id": body["customer_id"]}, 200

        self.app = app


@pytest.fixture
def payloads() -> Payloads:
    return Payloads()


@pytest.fixture
def payload_clock():
    return lambda: PAYLOAD_NOW


@pytest.fixture
async def fake_crm():
    crm = FakeCrm()
    async with LiveServer(crm.app) as server:
        crm.url = server.url + "/api/contacts"
        yield crm


@pytest.fixture
def start_crm_sync(botkit_runner_factory, payload_clock):
    """``await start_crm_sync(table, **options)``: a running bot with crm-sync enabled."""

    async def start(table: dict[str, Any], *, enabled_plugins=("crm-sync",), **options):
        return await botkit_runner_factory(
            enabled_plugins=list(enabled_plugins), plugins={"crm-sync": table},
            clock=payload_clock, **options)

    return start
