"""What kind of customer action a message is: a button tap, a list pick, a finished Flow.

The router and the filters both need these answers; keeping them in one place means a tap is
recognised the same way for routing (``@router.button``) and for matching (``f.button``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botkit.events import Message

# interactive subtypes that are taps, and what botkit calls each source of a tap
_INTERACTIVE_TAPS = {"button_reply": "button", "list_reply": "list"}


def tap_source(event: Any) -> str | None:
    """``"button"`` (a reply button), ``"list"`` (a list row), ``"template"`` (a template's
    quick-reply button) or ``None`` when the event is not a tap."""
    if not isinstance(event, Message):
        return None
    if event.type == "button":
        return "template"
    if event.type == "interactive":
        return _INTERACTIVE_TAPS.get(str(event.content.get("type")))
    return None


def tap_id(event: Any) -> str | None:
    """The id (or template payload) of a tapped button or picked row."""
    if tap_source(event) is None:
        return None
    reply_id = event.reply_id
    return reply_id if isinstance(reply_id, str) else None


def is_flow_completion(event: Any) -> bool:
    """A customer finished a WhatsApp Flow (``interactive`` / ``nfm_reply``)."""
    return (isinstance(event, Message) and event.type == "interactive"
            and event.content.get("type") == "nfm_reply")


def flow_response(event: Any) -> dict[str, Any] | None:
    """The answers of a finished Flow (``response_json`` decoded), or ``None`` when the event
    is not one or its ``response_json`` is not a JSON object."""
    if not is_flow_completion(event):
        return None
    reply = event.content.get("nfm_reply")
    raw = reply.get("response_json") if isinstance(reply, Mapping) else None
    if not isinstance(raw, str):
        return None
    try:
        decoded = json.loads(raw)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def kinds_of(event: Any) -> tuple[str, ...]:
    """The handler kinds that may take ``event``, most specific first."""
    if isinstance(event, Message):
        if tap_source(event) is not None:
            return ("button", "message")
        if is_flow_completion(event):
            return ("flow_completion", "message")
        return ("message",)
    kind = getattr(event, "kind", None)
    return (kind,) if isinstance(kind, str) else ()
