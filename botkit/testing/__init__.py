"""Test kit for botkit bots and plugins: signing, a live bot runner, a fake Graph API."""

from __future__ import annotations

from botkit.testing.harness import (
    ACCESS_TOKEN,
    APP_SECRET,
    VERIFY_TOKEN,
    BotRunner,
    ManualClock,
    make_settings,
)
from botkit.testing.live_server import LiveServer
from botkit.testing.signing import encode, signature, signed_headers

__all__ = [
    "ACCESS_TOKEN",
    "APP_SECRET",
    "VERIFY_TOKEN",
    "BotRunner",
    "Conversation",
    "FakeGraphAPI",
    "LiveServer",
    "ManualClock",
    "encode",
    "list_rows",
    "make_settings",
    "reply_buttons",
    "reply_text",
    "signature",
    "signed_headers",
]


def __getattr__(name: str):
    if name == "FakeGraphAPI":
        from botkit.testing.fake_graph import FakeGraphAPI

        return FakeGraphAPI
    if name in _CONVERSATION_NAMES:
        import importlib

        return getattr(importlib.import_module(".conversation", __name__), name)
    raise AttributeError(name)


# Loaded on first use, like FakeGraphAPI, since they bring the fake Graph API server along. The
# context manager itself is ``botkit.testing.conversation.conversation`` (the module's name).
_CONVERSATION_NAMES = {"Conversation", "list_rows", "reply_buttons", "reply_text"}
