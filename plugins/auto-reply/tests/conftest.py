"""Sample payloads and a clock near their timestamps, for the auto-reply tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from botkit import PluginConfig
from botkit.testing import BotRunner, make_settings

SHARED = Path(os.environ.get("BOTKIT_SHARED_DIR")
              or Path(__file__).resolve().parents[3].parent / "shared")
PAYLOADS = SHARED / "whatsapp" / "payloads"
# Wed 2026-07-01 11:00 UTC: an hour after the sample payloads' timestamps.
PAYLOAD_NOW = 1782900000 + 3600
BUSINESS_PNID = "109862385428321"


class Payloads:
    """Sample webhook bodies, and variations of the plain text one."""

    def load(self, name: str) -> dict[str, Any]:
        return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))

    def text(self, body: str, n: int = 1, *, name: str | None = "Priya Raman",
             timestamp: float | None = None) -> dict[str, Any]:
        """message_text.json with another body, a message id of its own, a profile name and,
        when given, the time it was sent."""
        payload = self.load("message_text.json")
        value = payload["entry"][0]["changes"][0]["value"]
        message = value["messages"][0]
        message["text"]["body"] = body
        message["id"] = f"wamid.TEST{n:04d}"
        if timestamp is not None:
            message["timestamp"] = str(int(timestamp))
        if name is None:
            del value["contacts"][0]["profile"]["name"]
        else:
            value["contacts"][0]["profile"]["name"] = name
        return payload

    def typed(self, name: str, n: int) -> dict[str, Any]:
        """A sample message payload with a message id of its own."""
        payload = self.load(name)
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.TYPED{n:04d}"
        return payload


@pytest.fixture
def payloads() -> Payloads:
    return Payloads()


@pytest.fixture
def payload_clock():
    return lambda: PAYLOAD_NOW


@pytest.fixture
def prepared(tmp_path):
    """``prepared(table)``: the table as the plugin receives it from ``bot.config()``, checked
    and completed by botkit itself (a :class:`botkit.SettingsError` when the schema refuses
    it). The bot is built, not started."""

    def prepare(table: dict[str, Any]) -> PluginConfig:
        settings = make_settings(tmp_path / "prepared", enabled_plugins=["auto-reply"],
                                 plugins={"auto-reply": table})
        return BotRunner(settings).bot.config("auto-reply")

    return prepare


@pytest.fixture
def start_auto_reply(botkit_runner_factory, fake_graph):
    """``await start_auto_reply(table, **options)``: a running bot with only auto-reply enabled,
    talking to the fake Graph API, its clock an hour after the sample payloads."""

    async def start(table: dict[str, Any], *, clock=None, extra_plugins=None,
                    enabled_plugins=("auto-reply",), **options):
        return await botkit_runner_factory(
            enabled_plugins=list(enabled_plugins), plugins={"auto-reply": table},
            extra_plugins=extra_plugins, whatsapp={"graph_url": fake_graph.url},
            clock=clock or (lambda: PAYLOAD_NOW), **options)

    return start
