"""A template definition as Meta describes it, read into what a send must supply.

``GET /{waba_id}/message_templates`` returns each template with its ``components``: a header
(text with at most one placeholder, or an image, video, document or location), a body with
placeholders, a footer, and buttons. A placeholder is ``{{1}}`` (positional) or ``{{name}}``
(named, ``parameter_format: "NAMED"``). Only what a send must match is kept here; the raw
object stays with the cached template. Parts that typed sending does not model (carousels,
limited-time offers, catalog buttons) are listed in :attr:`TemplateDefinition.unsupported`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
MEDIA_FORMATS = frozenset({"IMAGE", "VIDEO", "DOCUMENT"})
HEADER_FORMATS = frozenset({"TEXT", "LOCATION", *MEDIA_FORMATS})
#: Button types and what a send gives for them (None: nothing may be given).
BUTTON_KINDS: Mapping[str, str | None] = {
    "URL": "url",
    "OTP": "url",  # authentication templates: the code again, as a URL button parameter
    "QUICK_REPLY": "quick_reply",
    "COPY_CODE": "copy_code",
    "FLOW": "flow",
    "PHONE_NUMBER": None,
    "VOICE_CALL": None,
}
UNSUPPORTED_COMPONENTS = frozenset({"CAROUSEL", "LIMITED_TIME_OFFER"})


@dataclass(frozen=True, slots=True)
class Placeholders:
    """The placeholders of a text, in order of first appearance: ``("1", "2")`` or names."""

    keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, text: str | None) -> Placeholders:
        keys: list[str] = []
        for key in PLACEHOLDER.findall(text or ""):
            if key not in keys:
                keys.append(key)
        return cls(tuple(keys))

    @property
    def named(self) -> bool:
        return any(not key.isdigit() for key in self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def shown(self) -> str:
        return ", ".join(f"{{{{{key}}}}}" for key in self.keys)


@dataclass(frozen=True, slots=True)
class HeaderSpec:
    """``format`` is TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION (or what Meta added since)."""

    format: str
    text: str | None = None
    placeholders: Placeholders = Placeholders()


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """One button of the template, by its position (``index`` counts from 0)."""

    index: int
    type: str
    text: str | None = None
    url: str | None = None
    raw: Mapping[str, Any] | None = None

    @property
    def kind(self) -> str | None:
        """The ``sub_type`` a send uses for this button (None: it takes no parameter)."""
        return BUTTON_KINDS.get(self.type)

    @property
    def dynamic(self) -> bool:
        """True when a send must give this button a parameter."""
        if self.type == "URL":
            return bool(PLACEHOLDER.search(self.url or ""))
        return self.type in ("COPY_CODE", "OTP")

    @property
    def optional(self) -> bool:
        """A parameter may be given but need not be (quick-reply payloads, Flow tokens)."""
        return self.type in ("QUICK_REPLY", "FLOW")


@dataclass(frozen=True, slots=True)
class TemplateDefinition:
    """What a send of the template must match."""

    name: str
    language: str
    named: bool
    header: HeaderSpec | None
    body: Placeholders
    body_text: str | None
    footer: str | None
    buttons: tuple[ButtonSpec, ...]
    unsupported: tuple[str, ...] = ()

    @classmethod
    def parse(cls, template: Mapping[str, Any]) -> TemplateDefinition:
        """Read Meta's template object (``name``, ``language``, ``components``,
        ``parameter_format``); components of unknown types are listed as unsupported."""
        header: HeaderSpec | None = None
        body, body_text, footer = Placeholders(), None, None
        buttons: list[ButtonSpec] = []
        unsupported: list[str] = []
        components = template.get("components")
        for component in components if isinstance(components, list) else []:
            if not isinstance(component, Mapping):
                continue
            kind = str(component.get("type", "")).upper()
            text = component.get("text") if isinstance(component.get("text"), str) else None
            if kind == "HEADER":
                header = HeaderSpec(str(component.get("format", "TEXT")).upper(), text,
                                    Placeholders.of(text))
                if header.format not in HEADER_FORMATS:
                    unsupported.append(f"a {header.format} header")
            elif kind == "BODY":
                body, body_text = Placeholders.of(text), text
            elif kind == "FOOTER":
                footer = text
            elif kind == "BUTTONS":
                buttons = _buttons(component.get("buttons"), unsupported)
            else:
                unsupported.append(f"a {kind or 'nameless'} component")
        fmt = str(template.get("parameter_format", "")).upper()
        named = fmt == "NAMED" or (fmt != "POSITIONAL" and (body.named or (
            header is not None and header.placeholders.named)))
        return cls(str(template.get("name", "")), str(template.get("language", "")), named,
                   header, body, body_text, footer, tuple(buttons), tuple(unsupported))


def _buttons(value: Any, unsupported: list[str]) -> list[ButtonSpec]:
    buttons: list[ButtonSpec] = []
    for index, button in enumerate(value if isinstance(value, list) else []):
        if not isinstance(button, Mapping):
            continue
        kind = str(button.get("type", "")).upper()
        spec = ButtonSpec(index, kind, _str(button.get("text")), _str(button.get("url")),
                          dict(button))
        if kind not in BUTTON_KINDS:
            unsupported.append(f"a {kind or 'nameless'} button (index {index})")
        buttons.append(spec)
    return buttons


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
