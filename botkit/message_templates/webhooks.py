"""Keeping the cache current from the template webhooks, between two syncs.

- ``message_template_status_update``: the status (APPROVED, PAUSED, DISABLED, REJECTED...), the
  reason, and the category Meta gives with it;
- ``message_template_quality_update``: the quality score (GREEN, YELLOW, RED, UNKNOWN);
- ``template_category_update``: a category change done, or announced for a later time;
- ``message_template_components_update``: the header text, body, footer and buttons.

Which of these a change is, is read from its value as well as from its field (Meta's own
example of the quality update carries the status field's name). Each kind of change remembers
the time of the latest webhook applied, so one that Meta delivers late, after a newer one,
changes nothing. A template never synced is added from what the webhook says, marked partial
until a sync brings its full definition.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from botkit.events import FieldEvent
from botkit.message_templates.cache import Edit, TemplateCache
from botkit.message_templates.records import CachedTemplate

log = logging.getLogger("botkit.templates")

TEMPLATE_FIELDS = frozenset({"message_template_status_update",
                             "message_template_quality_update",
                             "template_category_update",
                             "message_template_components_update"})
#: Status webhook events that name another status than their own.
STATUS_OF_EVENT = {"REINSTATED": "APPROVED"}


def aspect_of(value: Mapping[str, Any]) -> str | None:
    """Which kind of change a template webhook value is (None: not a template change)."""
    if not isinstance(value.get("message_template_name"), str):
        return None
    if "new_quality_score" in value:
        return "quality"
    if "new_category" in value:
        return "category"
    if "message_template_element" in value:
        return "components"
    if "event" in value:
        return "status"
    return None


async def apply_template_event(cache: TemplateCache, event: FieldEvent,
                               now: float) -> CachedTemplate | None:
    """Apply one template webhook to the cache; the template as it is now (None: the event
    is not about a template, or it carried nothing to apply)."""
    if event.field not in TEMPLATE_FIELDS:
        return None
    value = event.value
    aspect = aspect_of(value)
    language = value.get("message_template_language")
    if aspect is None or not isinstance(language, str):
        log.warning("template webhook %s has no template name, language or known change; "
                    "ignored", event.key)
        return None
    name = str(value["message_template_name"])
    at = event.timestamp
    edit = _edit(aspect, event.waba_id, name, language, value, at, now)
    return await cache.change(event.waba_id, name, language, edit)


def _edit(aspect: str, waba_id: str, name: str, language: str, value: Mapping[str, Any],
          at: int | None, now: float) -> Edit:
    def edit(current: CachedTemplate | None) -> CachedTemplate | None:
        seen = current.seen(aspect) if current is not None else None
        if current is not None and at is not None and seen is not None and at < seen:
            log.info("template %s (%s): a %s webhook from %d is older than the one applied "
                     "(%d); ignored", name, language, aspect, at, seen)
            return current
        base = current or CachedTemplate(waba_id, name, language, "UNKNOWN",
                                         notes={"partial": True})
        template_id = value.get("message_template_id")
        if template_id is not None:
            base = replace(base, id=str(template_id))
        changed = _CHANGES[aspect](base, value)
        times = dict(changed.notes.get("seen") or {})
        if at is not None:
            times[aspect] = at
        return replace(changed.with_notes(seen=times or None), updated_at=now)
    return edit


def _status(template: CachedTemplate, value: Mapping[str, Any]) -> CachedTemplate:
    event = str(value.get("event") or "UNKNOWN").upper()
    reason = value.get("reason")
    notes: dict[str, Any] = {
        "reason": reason if isinstance(reason, str) and reason.upper() != "NONE" else None,
        "rejection": value.get("rejection_info"),
        "disable_date": _get(value.get("disable_info"), "disable_date"),
        "other": value.get("other_info"),
    }
    category = value.get("message_template_category") or template.category
    return replace(template.with_notes(**notes), status=STATUS_OF_EVENT.get(event, event),
                   category=category)


def _quality(template: CachedTemplate, value: Mapping[str, Any]) -> CachedTemplate:
    return replace(template, quality=value.get("new_quality_score"))


def _category(template: CachedTemplate, value: Mapping[str, Any]) -> CachedTemplate:
    new = value.get("new_category")
    if "correct_category" in value:  # announced: it changes at category_update_timestamp
        change = {"to": value.get("correct_category"),
                  "at": value.get("category_update_timestamp")}
        return replace(template.with_notes(category_change=change), category=new)
    return replace(template.with_notes(category_change=None), category=new)


def _components(template: CachedTemplate, value: Mapping[str, Any]) -> CachedTemplate:
    old = list((template.definition or {}).get("components") or [])
    header = next((c for c in old if _type(c) == "HEADER"), None)
    components: list[dict[str, Any]] = []
    title = value.get("message_template_title")
    if isinstance(title, str) and title:
        components.append({"type": "HEADER", "format": "TEXT", "text": title})
    elif header is not None and str(header.get("format", "TEXT")).upper() != "TEXT":
        components.append(dict(header))  # a media header: the webhook only tells text ones
    components.append({"type": "BODY", "text": str(value.get("message_template_element", ""))})
    footer = value.get("message_template_footer")
    if isinstance(footer, str) and footer:
        components.append({"type": "FOOTER", "text": footer})
    buttons = [_button(b) for b in value.get("message_template_buttons") or []
               if isinstance(b, Mapping)]
    if buttons:
        components.append({"type": "BUTTONS", "buttons": buttons})
    return replace(template, definition={**(template.definition or {}),
                                         "components": components})


def _button(button: Mapping[str, Any]) -> dict[str, Any]:
    prefix = "message_template_button_"
    shaped = {key.removeprefix(prefix): value for key, value in button.items()
              if key.startswith(prefix)}
    shaped["type"] = str(shaped.get("type", "")).upper()
    return shaped


def _type(component: Any) -> str:
    return str(component.get("type", "")).upper() if isinstance(component, Mapping) else ""


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


_CHANGES = {"status": _status, "quality": _quality, "category": _category,
            "components": _components}
