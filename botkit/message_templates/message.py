""":class:`Template`: a template message with typed parameters.

``Template("order_followup", "en_US", body=["Ana", Currency("$12.50", "USD", 12500)],
header=Image(link="https://..."), buttons=[UrlButton(0, "A-1042")])`` writes Meta's message
object with :meth:`Template.to_body`. A template is also a read-only mapping equal to that
object, so it goes wherever a message body goes: ``message.reply(template)``,
``conversation.send(text, fallback=template)``, ``bot.whatsapp.send(number, to, template)``.
:meth:`Template.from_body` reads such an object back (for checking a stored fallback).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from botkit.message_templates.errors import UnsupportedTemplate
from botkit.message_templates.parameters import (
    BodyParameter,
    Button,
    CopyCode,
    Currency,
    DateTime,
    Document,
    FlowButton,
    HeaderParameter,
    Image,
    Location,
    QuickReply,
    Text,
    UrlButton,
    Video,
)

_BODY_TYPES = (Text, Currency, DateTime)
_HEADER_TYPES = (Text, Image, Video, Document, Location)
_BUTTON_TYPES = (UrlButton, QuickReply, CopyCode, FlowButton)
NamedBody = Mapping[str, BodyParameter]


@dataclass(frozen=True, eq=False)
class Template(Mapping[str, Any]):
    """A template message: ``body`` is a list (``{{1}}``, ``{{2}}``...) or a dict by
    placeholder name; ``header`` a text (``str``, :class:`Text`, or ``{"name": value}`` for a
    named one) or media; ``buttons`` the button parameters by index."""

    name: str
    language: str
    body: Sequence[BodyParameter] | NamedBody = ()
    header: HeaderParameter | str | Mapping[str, str | Text] | None = None
    buttons: Sequence[Button] = ()

    def __post_init__(self) -> None:
        for label, value in (("name", self.name), ("language", self.language)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"a template needs a {label} (a non-empty string), "
                                 f"got {value!r}")
        object.__setattr__(self, "body", _body(self.body))
        object.__setattr__(self, "header", _header(self.header))
        buttons = tuple(self.buttons)
        for button in buttons:
            if not isinstance(button, _BUTTON_TYPES):
                raise TypeError(f"buttons take UrlButton, QuickReply, CopyCode or FlowButton, "
                                f"not {type(button).__name__}")
        object.__setattr__(self, "buttons", buttons)

    @property
    def named(self) -> bool:
        """True when the body is given by placeholder name."""
        return isinstance(self.body, Mapping)

    def body_parameters(self) -> list[tuple[str | None, BodyParameter]]:
        """(placeholder name or None, parameter) in the order they are sent."""
        if isinstance(self.body, Mapping):
            return list(self.body.items())
        return [(None, value) for value in self.body]

    def to_body(self) -> dict[str, Any]:
        """Meta's message object: ``{"type": "template", "template": {...}}``."""
        components: list[dict[str, Any]] = []
        if self.header is not None:
            header = cast(HeaderParameter, self.header)
            components.append({"type": "header", "parameters": [header.to_parameter()]})
        parameters = [cast(Text | Currency | DateTime, value).to_parameter()
                      for _, value in self.body_parameters()]
        if parameters:
            components.append({"type": "body", "parameters": parameters})
        components += [button.to_component()
                       for button in sorted(self.buttons, key=lambda b: b.index)]
        template: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if components:
            template["components"] = components
        return {"type": "template", "template": template}

    # A template reads as its message object, so it is accepted wherever a body is.
    def __getitem__(self, key: str) -> Any:
        return self.to_body()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(("type", "template"))

    def __len__(self) -> int:
        return 2

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Template:
        """Read a template message object back; raises ``ValueError`` for one that is not,
        :class:`UnsupportedTemplate` for parameter kinds typed sending does not model."""
        template = body.get("template") if body.get("type") == "template" else None
        if not isinstance(template, Mapping):
            raise ValueError("not a template message: expected {'type': 'template', "
                             "'template': {...}}")
        language = template.get("language")
        code = language.get("code") if isinstance(language, Mapping) else None
        header: HeaderParameter | None = None
        values: list[tuple[str | None, BodyParameter]] = []
        buttons: list[Button] = []
        components = template.get("components") or []
        for component in components if isinstance(components, list) else []:
            kind = str(component.get("type", "")).lower() if isinstance(
                component, Mapping) else ""
            parameters = component.get("parameters") if kind else None
            parameters = parameters if isinstance(parameters, list) else []
            if kind == "header" and parameters:
                header = _read_header(parameters[0])
            elif kind == "body":
                values += [_read_body(parameter) for parameter in parameters]
            elif kind == "button":
                buttons.append(_read_button(component, parameters))
            elif kind:
                raise UnsupportedTemplate(f"a {kind!r} component cannot be checked")
        names = {name for name, _ in values}
        if len(names) > 1 and None in names:
            raise ValueError("a template body mixes named and positional parameters")
        parsed: Sequence[BodyParameter] | NamedBody = (
            {str(name): value for name, value in values} if names - {None}
            else [value for _, value in values])
        return cls(str(template.get("name", "")), str(code or ""), parsed, header, buttons)


def _body(body: Any) -> tuple[BodyParameter, ...] | dict[str, BodyParameter]:
    if isinstance(body, str) or not isinstance(body, Sequence | Mapping):
        raise TypeError("body is a list of parameters or a dict of them by placeholder name, "
                        f"not {type(body).__name__}")
    if isinstance(body, Mapping):
        return {str(name): _named(str(name), value) for name, value in body.items()}
    return tuple(_parameter(value) for value in body)


def _parameter(value: Any) -> Text | Currency | DateTime:
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, _BODY_TYPES):
        return value
    raise TypeError(f"a body parameter is a str, Text, Currency or DateTime, not "
                    f"{type(value).__name__}")


def _named(name: str, value: Any) -> Text | Currency | DateTime:
    parameter = _parameter(value)
    if parameter.name not in (None, name):
        raise ValueError(f"body parameter {name!r} is named {parameter.name!r} too")
    return replace(parameter, name=name)


def _header(header: Any) -> HeaderParameter | None:
    if header is None or isinstance(header, _HEADER_TYPES):
        return header
    if isinstance(header, str):
        return Text(header)
    if isinstance(header, Mapping):
        if len(header) != 1:
            raise ValueError(f"a header has at most one parameter, got {len(header)}")
        [(name, value)] = header.items()
        text = value if isinstance(value, Text) else Text(str(value))
        return replace(text, name=str(name))
    raise TypeError(f"a header is a str, Text, Image, Video, Document or Location, not "
                    f"{type(header).__name__}")


def _read_header(parameter: Any) -> HeaderParameter:
    kind = parameter.get("type") if isinstance(parameter, Mapping) else None
    value = parameter.get(kind) if kind else None
    if kind == "text":
        return Text(str(value), parameter.get("parameter_name"))
    if kind in ("image", "video", "document") and isinstance(value, Mapping):
        media = {"link": value.get("link"), "id": value.get("id")}
        if kind == "document":
            return Document(**media, filename=value.get("filename"))
        return (Image if kind == "image" else Video)(**media)
    if kind == "location" and isinstance(value, Mapping):
        return Location(cast(float, value.get("latitude")),
                        cast(float, value.get("longitude")), value.get("name"),
                        value.get("address"))
    raise UnsupportedTemplate(f"a header parameter of type {kind!r} cannot be checked")


def _read_body(parameter: Any) -> tuple[str | None, BodyParameter]:
    kind = parameter.get("type") if isinstance(parameter, Mapping) else None
    name = parameter.get("parameter_name") if kind else None
    value = parameter.get(kind) if kind else None
    if kind == "text":
        return name, Text(str(value), name)
    if kind == "currency" and isinstance(value, Mapping):
        return name, Currency(_text(value.get("fallback_value")), _text(value.get("code")),
                              cast(int, value.get("amount_1000")), name)
    if kind == "date_time" and isinstance(value, Mapping):
        return name, DateTime(_text(value.get("fallback_value")), name)
    raise UnsupportedTemplate(f"a body parameter of type {kind!r} cannot be checked")


def _read_button(component: Mapping[str, Any], parameters: list[Any]) -> Button:
    sub_type = str(component.get("sub_type", "")).lower()
    try:
        index = int(component.get("index", -1))
    except (TypeError, ValueError):
        raise ValueError(f"a button's index must be a number, got "
                         f"{component.get('index')!r}") from None
    first: Mapping[str, Any] = (
        parameters[0] if parameters and isinstance(parameters[0], Mapping) else {})
    if sub_type == "url":
        return UrlButton(index, _text(first.get("text")))
    if sub_type == "quick_reply":
        return QuickReply(index, _text(first.get("payload")))
    if sub_type == "copy_code":
        return CopyCode(index, _text(first.get("coupon_code")))
    if sub_type == "flow":
        found = first.get("action")
        action: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        return FlowButton(index, _text(action.get("flow_token", "unused")),
                          action.get("flow_action_data"))
    raise UnsupportedTemplate(f"a {sub_type or 'nameless'} button cannot be checked")


def _text(value: Any) -> str:
    """A parameter value as text; a missing one reads as empty (and fails the check)."""
    return "" if value is None else str(value)
