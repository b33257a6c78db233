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
from botkit.events import (
    Contact,
    ErrorInfo,
    Event,
    FieldEvent,
    Handoff,
    Message,
    Status,
    Timer,
    WebhookError,
)
from botkit.plugin_config import PluginConfig
from botkit.replies import NO_REPLY, NoReply, Reply

if TYPE_CHECKING:
    from botkit.app import create_app
    from botkit.bot import Bot
    from botkit.conversations.conversation import Conversation
    from botkit.conversations.outbox import WindowClosed
    from botkit.flows.endpoint import FlowErrorNotification
    from botkit.flows.handlers import FlowHandlers, FlowRequest, FlowResponse
    from botkit.flows.messages import flow_completion_claims, flow_message
    from botkit.routing import CONTINUE, CallbackData, Router, SkipHandler, filters
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
    "CONTINUE",
    "NO_REPLY",
    "AuthError",
    "Bot",
    "BotkitError",
    "CallbackData",
    "Contact",
    "Conversation",
    "ErrorInfo",
    "Event",
    "FieldEvent",
    "FlowErrorNotification",
    "FlowHandlers",
    "FlowRequest",
    "FlowResponse",
    "GraphError",
    "Handoff",
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
    "Router",
    "SendResult",
    "SettingsError",
    "SkipHandler",
    "Status",
    "StoreError",
    "Timer",
    "TransientGraphError",
    "WebhookError",
    "WhatsAppClient",
    "WindowClosed",
    "create_app",
    "filters",
    "flow_completion_claims",
    "flow_message",
    "hookimpl",
]

_LAZY = {
    "create_app": "botkit.app",
    "Bot": "botkit.bot",
    "WhatsAppClient": "botkit.whatsapp.client",
    "SendResult": "botkit.whatsapp.client",
    "Conversation": "botkit.conversations.conversation",
    "WindowClosed": "botkit.conversations.outbox",
    "FlowErrorNotification": "botkit.flows.endpoint",
    "FlowHandlers": "botkit.flows.handlers",
    "FlowRequest": "botkit.flows.handlers",
    "FlowResponse": "botkit.flows.handlers",
    "flow_message": "botkit.flows.messages",
    "flow_completion_claims": "botkit.flows.messages",
    **{name: "botkit.routing" for name in (
        "CONTINUE", "CallbackData", "Router", "SkipHandler", "filters")},
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
