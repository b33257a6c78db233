"""A cached template in words: its status and what a send of it must give.

Used by ``botkit templates show``; the lines name the parameter types of
:mod:`botkit.message_templates.parameters`, so they read as instructions for a plugin author.
"""

from __future__ import annotations

import time

from botkit.message_templates.definitions import ButtonSpec, TemplateDefinition
from botkit.message_templates.records import CachedTemplate

_HEADER_PARAMETER = {"IMAGE": "Image(link=... or id=...)", "VIDEO": "Video(link=... or id=...)",
                     "DOCUMENT": "Document(link=... or id=..., filename=...)",
                     "LOCATION": "Location(latitude, longitude, name=..., address=...)"}
_BUTTON_PARAMETER = {"url": "UrlButton({i}, text)", "copy_code": "CopyCode({i}, code)",
                     "quick_reply": "QuickReply({i}, payload) (optional)",
                     "flow": "FlowButton({i}, flow_token=..., flow_action_data=...) (optional)"}


def describe(template: CachedTemplate) -> list[str]:
    """The lines ``botkit templates show`` prints for one language of a template."""
    lines = [f"{template.name} ({template.language})",
             f"  status:    {template.status}" + _reason(template),
             f"  category:  {template.category or '?'}" + _category_change(template),
             f"  quality:   {template.quality or '-'}",
             f"  id:        {template.id or '?'}"]
    if not template.complete:
        lines.append("  definition: only partly known from webhooks; run "
                     "`botkit templates sync`")
        if template.definition is None:
            return lines
    definition = template.parsed()
    lines.append(f"  parameters: {'named' if definition.named else 'positional'}")
    lines += _parts(definition)
    if definition.unsupported:
        lines.append(f"  not covered by typed sending: {', '.join(definition.unsupported)}")
    return lines


def _parts(definition: TemplateDefinition) -> list[str]:
    lines: list[str] = []
    header = definition.header
    if header is not None and header.format == "TEXT":
        needs = (f" -> header={_one(definition, header.placeholders.keys[0])}"
                 if header.placeholders else "")
        lines.append(f"  header:    {header.text!r}{needs}")
    elif header is not None:
        parameter = _HEADER_PARAMETER.get(header.format, "(not covered)")
        lines.append(f"  header:    {header.format} -> header={parameter}")
    if definition.body_text is not None:
        lines.append(f"  body:      {definition.body_text!r}")
        if definition.body:
            keys = definition.body.keys
            given = (", ".join(f"{key!r}: ..." for key in keys) if definition.named
                     else ", ".join("..." for _ in keys))
            wrap = "{%s}" if definition.named else "[%s]"
            lines.append(f"             -> body={wrap % given} (str, Text, Currency, DateTime)")
    if definition.footer:
        lines.append(f"  footer:    {definition.footer!r}")
    lines += [_button(button) for button in definition.buttons]
    return lines


def _one(definition: TemplateDefinition, key: str) -> str:
    return f"{{{key!r}: ...}}" if definition.named else "'...'"


def _button(button: ButtonSpec) -> str:
    label = f"  button {button.index}:  {button.type} {button.text or ''}".rstrip()
    if button.url:
        label += f" ({button.url})"
    if button.kind is None or not (button.dynamic or button.optional):
        return label
    return f"{label} -> {_BUTTON_PARAMETER[button.kind].format(i=button.index)}"


def _reason(template: CachedTemplate) -> str:
    reason = template.notes.get("reason")
    return f" (reason: {reason})" if reason else ""


def _category_change(template: CachedTemplate) -> str:
    change = template.notes.get("category_change")
    if not isinstance(change, dict) or not change.get("to"):
        return ""
    at = change.get("at")
    when = time.strftime(" on %Y-%m-%d %H:%M UTC", time.gmtime(at)) if isinstance(
        at, int | float) else ""
    return f" (becomes {change['to']}{when})"
