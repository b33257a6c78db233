"""Configured replies: placeholders are checked once at start-up and filled in per message."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from botkit import Message

PLACEHOLDERS = ("name", "text", "wa_id", "business_number")
TEXT_LIMIT = 4096  # the Cloud API refuses longer text bodies


class ReplyTemplate:
    """A reply text or a Cloud API message object whose strings may hold placeholders.

    ``value`` comes from ``bot.config()``: a string, or a read-only mapping whose lists are
    tuples. :meth:`render` turns it back into plain JSON-ready values.
    """

    def __init__(self, value: str | Mapping[str, Any], where: str) -> None:
        problems = _object_problems(value, where) if isinstance(value, Mapping) else []
        problems += [f"{path}: {problem}" for path, text in _strings(value, where)
                     for problem in placeholder_problems(text)]
        if problems:
            raise ValueError("\n".join(problems))
        self.value = value

    def render(self, message: Message) -> str | dict[str, Any] | None:
        """The reply for ``message``; ``None`` when a text reply comes out empty."""
        values = placeholder_values(message)
        if isinstance(self.value, str):
            text = self.value.format_map(values).strip()
            return text[:TEXT_LIMIT] or None
        return {key: _fill(inner, values) for key, inner in self.value.items()}


def placeholder_values(message: Message) -> dict[str, str]:
    """What each placeholder stands for; unknown values become empty strings."""
    contact = message.contact
    return {
        "name": (contact.name if contact else None) or "",
        "text": message.text or "",
        "wa_id": message.sender or (contact.wa_id if contact else None) or "",
        "business_number": message.display_phone_number or "",
    }


def placeholder_problems(text: str) -> list[str]:
    """Why ``text`` cannot be filled in: unknown placeholders, formats or stray braces."""
    try:
        fields = [(name, spec, conversion)
                  for _, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None]
    except ValueError as exc:
        return [f"{exc} in {text!r}; write {{{{ and }}}} for literal braces"]
    problems = []
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS:
            problems.append(f"unknown placeholder {{{name}}} in {text!r}; "
                            f"known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
        elif spec or conversion:
            problems.append(f"placeholder {{{name}}} in {text!r} takes no format or conversion")
    return problems


def _object_problems(value: Mapping[str, Any], where: str) -> list[str]:
    kind = value.get("type")
    if not isinstance(kind, str) or not isinstance(value.get(kind), Mapping):
        return [f"{where}: a reply of type {kind!r} needs a table under the key {kind!r}"]
    return []


def _strings(value: object, path: str) -> list[tuple[str, str]]:
    """Every string inside a reply, with its settings path."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [item for key, inner in value.items() for item in _strings(inner, f"{path}.{key}")]
    if isinstance(value, list | tuple):
        return [item for i, inner in enumerate(value) for item in _strings(inner, f"{path}[{i}]")]
    return []


def _fill(value: object, values: Mapping[str, str]) -> object:
    """``value`` with placeholders filled in, as plain dicts and lists (ready to send)."""
    if isinstance(value, str):
        return value.format_map(values)
    if isinstance(value, Mapping):
        return {key: _fill(inner, values) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(inner, values) for inner in value]
    return value
