"""Reading the few facts a timeline shows out of stored payloads and outbox bodies.

Stored payloads are whatever Meta sent (checked only when dispatched), so every lookup here
tolerates missing and mistyped fields and answers ``None`` rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botkit.timeline.records import StatusReport

SUMMARY_CHARS = 300


def _get(value: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def message_type(payload: Any) -> str:
    return _str(_get(payload, "item", "type")) or "unknown"


def message_text(payload: Any) -> str | None:
    """What the customer wrote or chose: the text, a caption, a button or list choice."""
    item = _get(payload, "item")
    kind = message_type(payload)
    found = (_get(item, "text", "body") if kind == "text" else
             _get(item, "button", "text") if kind == "button" else
             _get(item, "reaction", "emoji") if kind == "reaction" else
             _get(item, "location", "name") or _get(item, "location", "address")
             if kind == "location" else
             _interactive_text(_get(item, "interactive")) if kind == "interactive" else
             _get(item, kind, "caption"))
    return _str(found)


def _interactive_text(interactive: Any) -> Any:
    for reply in ("button_reply", "list_reply"):
        title = _get(interactive, reply, "title")
        if title is not None:
            return title
    return _get(interactive, "nfm_reply", "body")


def profile_name(payload: Any) -> str | None:
    return _str(_get(payload, "contact", "profile", "name"))


def user_id(payload: Any) -> str | None:
    return _str(_get(payload, "contact", "user_id")) or _str(_get(payload, "item",
                                                                    "from_user_id"))


def display_number(payload: Any) -> str | None:
    return _str(_get(payload, "metadata", "display_phone_number"))


def status_wamid(payload: Any) -> str | None:
    return _str(_get(payload, "item", "id"))


def status_report(payload: Any, at: float) -> StatusReport:
    item = _get(payload, "item")
    errors = _get(item, "errors")
    found: list[tuple[int | None, str | None]] = []
    for error in errors if isinstance(errors, list) else []:
        code = _get(error, "code")
        found.append((code if isinstance(code, int) and not isinstance(code, bool) else None,
                      _str(_get(error, "title"))))
    timestamp = _get(item, "timestamp")
    return StatusReport(_str(_get(item, "status")) or "unknown", at,
                        int(timestamp) if isinstance(timestamp, str) and timestamp.isdigit()
                        else None, tuple(found))


def body_summary(body: Mapping[str, Any]) -> str:
    """One line about an outbox message: its type and its words (cut to a readable length)."""
    kind = _str(body.get("type")) or "text"
    content = body.get(kind)
    if kind == "template":
        name = _str(_get(content, "name")) or "?"
        language = _str(_get(content, "language", "code"))
        return f"template {name}" + (f" ({language})" if language else "")
    words = (_get(content, "body") if kind == "text" else
             _get(content, "body", "text") if kind == "interactive" else
             _get(content, "emoji") if kind == "reaction" else
             _get(content, "caption"))
    words = _str(words)
    if not words:
        return kind
    if len(words) > SUMMARY_CHARS:
        words = words[:SUMMARY_CHARS - 1] + "…"
    return words if kind == "text" else f"{kind}: {words}"
