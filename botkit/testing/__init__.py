"""Test kit for botkit bots and plugins: signing, a live bot runner, a fake Graph API."""

from __future__ import annotations

from .harness import ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, BotRunner, make_settings
from .live_server import LiveServer
from .signing import encode, signature, signed_headers

__all__ = [
    "ACCESS_TOKEN",
    "APP_SECRET",
    "VERIFY_TOKEN",
    "BotRunner",
    "FakeGraphAPI",
    "LiveServer",
    "encode",
    "make_settings",
    "signature",
    "signed_headers",
]


def __getattr__(name: str):
    if name == "FakeGraphAPI":
        from .fake_graph import FakeGraphAPI

        return FakeGraphAPI
    raise AttributeError(name)
