"""Checking a :class:`Template` against the account's cached definition, before any send.

The order is the one in which a person would fix things: the template must exist, in that
language, in a status that can be sent; then every parameter must have its place, the right
kind and a value Meta accepts. All parameter problems are collected; the first decides the
error's class and the message lists them all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from botkit.message_templates.definitions import MEDIA_FORMATS, HeaderSpec, TemplateDefinition
from botkit.message_templates.errors import (
    ExtraParameter,
    InvalidParameterValue,
    LanguageNotAvailable,
    MissingParameter,
    ParameterError,
    TemplateDisabled,
    TemplateNotApproved,
    TemplatePaused,
    UnknownTemplate,
    UnsupportedTemplate,
    WrongParameterType,
)
from botkit.message_templates.message import Template
from botkit.message_templates.parameters import (
    CopyCode,
    Currency,
    DateTime,
    Document,
    Image,
    Location,
    Text,
    UrlButton,
    Video,
)
from botkit.message_templates.records import CachedTemplate

_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_MEDIA_CLASSES = {"IMAGE": Image, "VIDEO": Video, "DOCUMENT": Document, "LOCATION": Location}
_BUTTON_CLASSES = {"url": "UrlButton", "quick_reply": "QuickReply", "copy_code": "CopyCode",
                   "flow": "FlowButton"}
MAX_COUPON_CODE = 15
Problem = tuple[type[ParameterError], str]


def find_cached(template: Template, rows: Sequence[CachedTemplate], waba_id: str
                ) -> CachedTemplate:
    """The cached row for the template's language among ``rows`` (its name's rows)."""
    if not rows:
        raise UnknownTemplate(
            f"template {template.name!r} is not in the template cache of WhatsApp Business "
            f"Account {waba_id}; check the name, or run `botkit templates sync` if it was "
            "created since", name=template.name, waba_id=waba_id)
    for row in rows:
        if row.language == template.language:
            return row
    available = sorted(row.language for row in rows)
    raise LanguageNotAvailable(
        f"template {template.name!r} has no {template.language!r} version; it has "
        f"{', '.join(available)}", name=template.name, language=template.language,
        available=available)


def check_status(cached: CachedTemplate) -> None:
    """Raise when the template's status does not allow a send."""
    if cached.sendable:
        return
    label = f"template {cached.name!r} ({cached.language})"
    facts = {"name": cached.name, "language": cached.language, "status": cached.status}
    reason = cached.notes.get("reason")
    why = f" (reason: {reason})" if reason else ""
    if cached.status == "PAUSED":
        raise TemplatePaused(f"{label} is paused by Meta for low quality{why}; it cannot be "
                             "sent until it is unpaused or edited", **facts)
    if cached.status == "DISABLED":
        raise TemplateDisabled(f"{label} is disabled by Meta{why}; use another template",
                               **facts)
    raise TemplateNotApproved(f"{label} is {cached.status}, not APPROVED{why}; only approved "
                              "templates can be sent", **facts)


def check_template(template: Template, cached: CachedTemplate) -> None:
    """Raise the first problem of sending ``template`` as ``cached`` defines it."""
    check_status(cached)
    if not cached.complete:
        raise UnknownTemplate(
            f"template {cached.name!r} ({cached.language}) is only partly known from webhooks; "
            "run `botkit templates sync` to cache its definition",
            name=cached.name, waba_id=cached.waba_id)
    definition = cached.parsed()
    if definition.unsupported:
        raise UnsupportedTemplate(
            f"template {cached.name!r} has {', '.join(definition.unsupported)}, which typed "
            "sending does not cover; send it with bot.whatsapp.send_template(...) and the "
            "components written out")
    problems = parameter_problems(template, definition)
    if problems:
        cls = problems[0][0]
        raise cls([text for _, text in problems], name=cached.name, language=cached.language)


def parameter_problems(template: Template, definition: TemplateDefinition) -> list[Problem]:
    """Every parameter problem, header first, then body, then buttons."""
    return [*_header(template, definition.header, definition.named),
            *_body(template, definition), *_buttons(template, definition)]


def _header(template: Template, spec: HeaderSpec | None, named: bool) -> list[Problem]:
    given = template.header
    if spec is None or (spec.format == "TEXT" and not spec.placeholders):
        if given is None:
            return []
        what = "no header" if spec is None else "a header of fixed text"
        return [(ExtraParameter, f"a header parameter was given but the template has {what}")]
    if spec.format == "TEXT":
        key = spec.placeholders.keys[0]
        if given is None:
            return [(MissingParameter, f"the header text needs {{{{{key}}}}}")]
        if not isinstance(given, Text):
            return [(WrongParameterType, f"the header is text with {{{{{key}}}}}, got "
                                         f"{_kind(given)}")]
        if named and given.name != key:
            return [(MissingParameter, f"the header needs {{{{{key}}}}} by name: "
                                       f"header={{{key!r}: ...}}")]
        if not named and given.name is not None:
            return [(WrongParameterType, "the header takes a positional parameter, got one "
                                         f"named {given.name!r}")]
        return _text_value(given.text, "the header text")
    expected = _MEDIA_CLASSES.get(spec.format)
    if expected is None:
        return []
    article = "an" if spec.format[0] in "AEIOU" else "a"
    if given is None:
        return [(MissingParameter, f"the header is {article} {spec.format}: give "
                                   f"header={expected.__name__}(...)")]
    if not isinstance(given, expected):
        return [(WrongParameterType, f"the header is {article} {spec.format}, got "
                                     f"{_kind(given)}")]
    if isinstance(given, Location):
        return _location(given)
    if (spec.format in MEDIA_FORMATS and isinstance(given, Image | Video | Document)
            and given.link is not None and not given.link.startswith(("https://", "http://"))):
        return [(InvalidParameterValue, f"the header {spec.format.lower()} link must be an "
                                        "http(s) URL")]
    return []


def _location(location: Location) -> list[Problem]:
    values = (location.latitude, location.longitude)
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values) or not (
            -90 <= location.latitude <= 90 and -180 <= location.longitude <= 180):
        return [(InvalidParameterValue, f"the header location is out of range: latitude "
                                        f"{location.latitude!r}, longitude "
                                        f"{location.longitude!r}")]
    return []


def _body(template: Template, definition: TemplateDefinition) -> list[Problem]:
    keys = definition.body.keys
    given = template.body_parameters()
    problems: list[Problem] = []
    if not keys and given:
        return [(ExtraParameter, f"the body has no parameters, got {len(given)}")]
    if definition.named:
        if given and not template.named:
            return [(WrongParameterType, f"the body takes named parameters "
                                         f"({definition.body.shown()}): give body={{name: "
                                         "value}}, not a list")]
        names = [name for name, _ in given]
        missing = [key for key in keys if key not in names]
        extra = [name for name in names if name not in keys]
        if missing:
            problems.append((MissingParameter, "the body needs "
                             + ", ".join(f"{{{{{key}}}}}" for key in missing)))
        if extra:
            problems.append((ExtraParameter, "the body has no "
                             + ", ".join(f"{{{{{name}}}}}" for name in extra)))
    elif template.named:
        return [(WrongParameterType, f"the body takes positional parameters "
                                     f"({definition.body.shown() or 'none'}), got named ones")]
    elif len(given) < len(keys):
        absent = ", ".join(f"{{{{{n}}}}}" for n in range(len(given) + 1, len(keys) + 1))
        problems.append((MissingParameter, f"the body has {len(keys)} parameter(s), got "
                                           f"{len(given)}: {absent} missing"))
    elif len(given) > len(keys):
        problems.append((ExtraParameter, f"the body has {len(keys)} parameter(s), got "
                                         f"{len(given)}"))
    for position, (name, value) in enumerate(given, start=1):
        label = f"body {{{{{name or position}}}}}"
        problems += _value(value, label)
    return problems


def _value(value: object, label: str) -> list[Problem]:
    if isinstance(value, Text):
        return _text_value(value.text, label, body=True)
    if isinstance(value, Currency):
        problems = _text_value(value.fallback_value, f"{label} fallback_value")
        if not isinstance(value.code, str) or not _CURRENCY_CODE.match(value.code):
            problems.append((InvalidParameterValue, f"{label}: currency code must be three "
                                                    f"capital letters (ISO 4217), got "
                                                    f"{value.code!r}"))
        if isinstance(value.amount_1000, bool) or not isinstance(value.amount_1000, int):
            problems.append((InvalidParameterValue, f"{label}: amount_1000 must be a whole "
                                                    f"number (the amount x 1000), got "
                                                    f"{value.amount_1000!r}"))
        return problems
    if isinstance(value, DateTime):
        return _text_value(value.fallback_value, f"{label} fallback_value")
    return [(WrongParameterType, f"{label}: the body takes text, currency or date_time, got "
                                 f"{_kind(value)}")]


def _text_value(text: object, label: str, *, body: bool = False) -> list[Problem]:
    if not isinstance(text, str) or not text.strip():
        return [(InvalidParameterValue, f"{label} is empty")]
    if body and ("\n" in text or "\t" in text or "     " in text):
        return [(InvalidParameterValue, f"{label} has a line break, a tab or more than four "
                                        "spaces in a row, which Meta refuses (132018)")]
    return []


def _buttons(template: Template, definition: TemplateDefinition) -> list[Problem]:
    specs = {spec.index: spec for spec in definition.buttons}
    problems: list[Problem] = []
    seen: set[int] = set()
    for button in template.buttons:
        index, spec = button.index, specs.get(button.index)
        label = f"button {index}"
        if index in seen:
            problems.append((ExtraParameter, f"{label} is given twice"))
            continue
        seen.add(index)
        if spec is None:
            problems.append((ExtraParameter, f"{label}: the template has "
                                             f"{len(specs) or 'no'} button(s)"
                             + (f" (0 to {len(specs) - 1})" if specs else "")))
            continue
        shown = f"{label} ({spec.type} {spec.text!r})" if spec.text else f"{label} ({spec.type})"
        if spec.kind is None or (spec.type == "URL" and not spec.dynamic):
            reason = "has a fixed URL" if spec.type == "URL" else "is fixed"
            problems.append((ExtraParameter, f"{shown} {reason}; it takes no parameter"))
        elif spec.kind != button.sub_type:
            problems.append((WrongParameterType, f"{shown} takes "
                             f"{_BUTTON_CLASSES[spec.kind]}({index}, ...), got "
                             f"{type(button).__name__}"))
        elif isinstance(button, UrlButton):
            problems += _text_value(button.text, f"{label} URL parameter")
        elif isinstance(button, CopyCode):
            problems += _text_value(button.code, f"{label} coupon code")
            if isinstance(button.code, str) and len(button.code) > MAX_COUPON_CODE:
                problems.append((InvalidParameterValue, f"{label} coupon code has "
                                 f"{len(button.code)} characters; at most {MAX_COUPON_CODE}"))
    for spec in definition.buttons:
        if spec.dynamic and spec.index not in seen and spec.kind is not None:
            name = _BUTTON_CLASSES[spec.kind]
            problems.append((MissingParameter, f"button {spec.index} ({spec.type}) needs "
                                               f"{name}({spec.index}, ...)"))
    return problems


def _kind(value: object) -> str:
    kind = getattr(value, "kind", None)
    return f"{'an' if str(kind)[0] in 'aeiou' else 'a'} {kind}" if kind else (
        type(value).__name__)
