"""botkit: a plugin-based chatbot framework for the WhatsApp Business Platform (Cloud API).

This module is the public API: everything a plugin needs is importable from ``botkit`` itself
(test helpers from :mod:`botkit.testing`, command-line helpers from :mod:`botkit.cli`). Other
modules are internal and may move between releases.

Names that pull in the web stack or the HTTP client (``Bot``, ``create_app``, ``WhatsAppClient``
and the Graph API errors) are imported on first use, so ``import botkit`` stays cheap for a
plugin that only needs ``hookimpl`` and the event types.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import pluggy

from botkit.errors import BotkitError, PermanentError, PluginError, SettingsError, StoreError
from botkit.events import Contact, ErrorInfo, Event, FieldEvent, Message, Status, WebhookError
from botkit.plugin_config import PluginConfig
from botkit.replies import NO_REPLY, NoReply, Reply

if TYPE_CHECKING:
    from botkit.app import create_app
    from botkit.bot import Bot
    from botkit.whatsapp.client import SendResult, WhatsAppClient
    from botkit.whatsapp.errors import (
        AuthError,
        GraphError,
        InvalidRequest,
        OutcomeUnknown,
        PairRateLimited,
        PermanentGraphError,
        RateLimited,
        ReEngagementRequired,
        TransientGraphError,
    )

#: Marks a plugin's hook implementations: ``@hookimpl def message_received(bot, message): ...``
hookimpl = pluggy.HookimplMarker("botkit")

__all__ = [
    "NO_REPLY",
    "AuthError",
    "Bot",
    "BotkitError",
    "Contact",
    "ErrorInfo",
    "Event",
    "FieldEvent",
    "GraphError",
    "InvalidRequest",
    "Message",
    "NoReply",
    "OutcomeUnknown",
    "PairRateLimited",
    "PermanentError",
    "PermanentGraphError",
    "PluginConfig",
    "PluginError",
    "RateLimited",
    "ReEngagementRequired",
    "Reply",
    "SendResult",
    "SettingsError",
    "Status",
    "StoreError",
    "TransientGraphError",
    "WebhookError",
    "WhatsAppClient",
    "create_app",
    "hookimpl",
]

_LAZY = {
    "create_app": "botkit.app",
    "Bot": "botkit.bot",
    "WhatsAppClient": "botkit.whatsapp.client",
    "SendResult": "botkit.whatsapp.client",
    **{name: "botkit.whatsapp.errors" for name in (
        "AuthError", "GraphError", "InvalidRequest", "OutcomeUnknown", "PairRateLimited",
        "PermanentGraphError", "RateLimited", "ReEngagementRequired", "TransientGraphError")},
}


def __getattr__(name: str) -> Any:
    """Load the heavier public names on first use (see the module docstring)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'botkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
