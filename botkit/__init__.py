"""botkit: a plugin-based chatbot framework for the WhatsApp Business Platform (Cloud API)."""

from __future__ import annotations

import pluggy

from ._no_reply import NO_REPLY
from .errors import BotkitError, PermanentError, PluginError, SettingsError, StoreError
from .events import Contact, ErrorInfo, Event, FieldEvent, Message, Status, WebhookError

hookimpl = pluggy.HookimplMarker("botkit")

__all__ = [
    "NO_REPLY",
    "BotkitError",
    "Contact",
    "ErrorInfo",
    "Event",
    "FieldEvent",
    "Message",
    "PermanentError",
    "PluginError",
    "SettingsError",
    "Status",
    "StoreError",
    "WebhookError",
    "create_app",
    "hookimpl",
]


def __getattr__(name: str):
    """Import the app factory lazily so that ``import botkit`` stays light for plugins."""
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Bot":
        from .bot import Bot

        return Bot
    raise AttributeError(name)
