"""Checking a template definition before ``POST /{waba_id}/message_templates``.

Meta reviews every new template and refuses malformed ones, often only after a round trip and
with a terse message. These checks catch what is certain from Meta's documented rules (name,
category, which components and how many, lengths, placeholders and their examples, buttons)
and report every problem at once, each with its JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from botkit.message_templates.definitions import HEADER_FORMATS, MEDIA_FORMATS, PLACEHOLDER
from botkit.message_templates.errors import TemplateDefinitionInvalid

NAME = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2,3})?$")
CATEGORIES = ("AUTHENTICATION", "MARKETING", "UTILITY")
NAMED_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
ADJACENT = re.compile(r"\}\}\s*\{\{")
LIMITS = {"HEADER": 60, "BODY": 1024, "FOOTER": 60}
BUTTON_TEXT = 25
MAX_BUTTONS, MAX_URL_BUTTONS = 10, 2


def check_definition(document: Any) -> dict[str, Any]:
    """``document`` when it is a template Meta can take; else raises
    :class:`TemplateDefinitionInvalid` listing every problem."""
    problems: list[str] = []
    if not isinstance(document, Mapping):
        raise TemplateDefinitionInvalid(["$: a template definition is a JSON object"])
    name, language = document.get("name"), document.get("language")
    if not isinstance(name, str) or not NAME.match(name):
        problems.append(f"$.name: lowercase letters, digits and '_' (at most 512), got {name!r}")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        problems.append(f"$.language: a language code such as 'en' or 'en_US', got "
                        f"{language!r}")
    category = document.get("category")
    if category not in CATEGORIES:
        problems.append(f"$.category: one of {', '.join(CATEGORIES)}, got {category!r}")
    fmt = document.get("parameter_format", "POSITIONAL")
    if fmt not in ("POSITIONAL", "NAMED"):
        problems.append(f"$.parameter_format: POSITIONAL or NAMED, got {fmt!r}")
    components = document.get("components")
    if not isinstance(components, list) or not components:
        problems.append("$.components: a non-empty list of components")
        raise TemplateDefinitionInvalid(problems)
    seen: dict[str, int] = {}
    for index, component in enumerate(components):
        path = f"$.components[{index}]"
        if not isinstance(component, Mapping):
            problems.append(f"{path}: a component is an object")
            continue
        kind = str(component.get("type", "")).upper()
        if kind in seen:
            problems.append(f"{path}: a second {kind} component (at most one)")
        seen[kind] = index
        if kind in ("HEADER", "BODY", "FOOTER"):
            problems += _text_component(path, kind, component, fmt == "NAMED")
        elif kind == "BUTTONS":
            problems += _buttons(path, component.get("buttons"))
    if "BODY" not in seen and category != "AUTHENTICATION":
        problems.append("$.components: a BODY component is required")
    if problems:
        raise TemplateDefinitionInvalid(problems)
    return dict(document)


def _text_component(path: str, kind: str, component: Mapping[str, Any],
                    named: bool) -> list[str]:
    problems: list[str] = []
    header_format = str(component.get("format", "TEXT")).upper() if kind == "HEADER" else "TEXT"
    if header_format not in HEADER_FORMATS:
        return [f"{path}.format: one of {', '.join(sorted(HEADER_FORMATS))}, got "
                f"{component.get('format')!r}"]
    example = component.get("example")
    example = example if isinstance(example, Mapping) else {}
    if header_format in MEDIA_FORMATS:
        if not example.get("header_handle"):
            problems.append(f"{path}.example.header_handle: a {header_format} header needs a "
                            "sample (an uploaded media handle)")
        return problems
    if header_format != "TEXT":
        return problems
    text = component.get("text")
    if not isinstance(text, str) or not text.strip():
        if kind == "BODY" and component.get("add_security_recommendation") is not None:
            return problems  # authentication body: Meta writes the text
        return [f"{path}.text: the {kind.lower()} needs text"]
    if len(text) > LIMITS[kind]:
        problems.append(f"{path}.text: at most {LIMITS[kind]} characters, got {len(text)}")
    keys = list(dict.fromkeys(PLACEHOLDER.findall(text)))
    if not keys:
        return problems
    if kind == "FOOTER":
        return [*problems, f"{path}.text: a footer cannot have parameters"]
    if kind == "HEADER" and len(keys) > 1:
        problems.append(f"{path}.text: a header has at most one parameter, got {len(keys)}")
    if ADJACENT.search(text):
        problems.append(f"{path}.text: parameters next to each other need text between them")
    problems += _placeholders(path, keys, named)
    problems += _examples(path, kind, keys, named, example)
    return problems


def _placeholders(path: str, keys: list[str], named: bool) -> list[str]:
    if named:
        wrong = [key for key in keys if not NAMED_KEY.match(key)]
        return [f"{path}.text: named parameters are lowercase names such as {{{{first_name}}}}, "
                f"got {', '.join(f'{{{{{key}}}}}' for key in wrong)}"] if wrong else []
    if any(not key.isdigit() for key in keys):
        return [f"{path}.text: positional parameters are {{{{1}}}}, {{{{2}}}}...; set "
                "parameter_format to NAMED for named ones"]
    if sorted(int(key) for key in keys) != list(range(1, len(keys) + 1)):
        return [f"{path}.text: positional parameters must be numbered 1 to {len(keys)} "
                f"without gaps, got {', '.join(keys)}"]
    return []


def _examples(path: str, kind: str, keys: list[str], named: bool,
              example: Mapping[str, Any]) -> list[str]:
    part = "header" if kind == "HEADER" else "body"
    if named:
        entries = example.get(f"{part}_text_named_params")
        names = {e.get("param_name") for e in entries if isinstance(e, Mapping)} if isinstance(
            entries, list) else set()
        missing = [key for key in keys if key not in names]
        return [f"{path}.example.{part}_text_named_params: needs a sample for "
                f"{', '.join(missing)}"] if missing else []
    samples = example.get(f"{part}_text")
    if kind == "BODY" and isinstance(samples, list) and samples and isinstance(
            samples[0], list):
        samples = samples[0]
    if not isinstance(samples, list) or len(samples) != len(keys):
        return [f"{path}.example.{part}_text: needs {len(keys)} sample value(s), one per "
                "parameter"]
    return []


def _buttons(path: str, buttons: Any) -> list[str]:
    if not isinstance(buttons, list) or not buttons:
        return [f"{path}.buttons: a non-empty list of buttons"]
    problems: list[str] = []
    if len(buttons) > MAX_BUTTONS:
        problems.append(f"{path}.buttons: at most {MAX_BUTTONS} buttons, got {len(buttons)}")
    counts: dict[str, int] = {}
    for index, button in enumerate(buttons):
        where = f"{path}.buttons[{index}]"
        if not isinstance(button, Mapping):
            problems.append(f"{where}: a button is an object")
            continue
        kind = str(button.get("type", "")).upper()
        counts[kind] = counts.get(kind, 0) + 1
        text = button.get("text")
        if kind not in ("COPY_CODE", "OTP") and (not isinstance(text, str) or not text):
            problems.append(f"{where}.text: the button needs a label")
        elif isinstance(text, str) and len(text) > BUTTON_TEXT:
            problems.append(f"{where}.text: at most {BUTTON_TEXT} characters, got {len(text)}")
        if kind == "URL":
            problems += _url_button(where, button)
        elif kind == "PHONE_NUMBER" and not button.get("phone_number"):
            problems.append(f"{where}.phone_number: the number to call")
        elif kind == "COPY_CODE" and not (isinstance(button.get("example"), str)
                                          and 0 < len(button["example"]) <= 15):
            problems.append(f"{where}.example: a sample code of 1 to 15 characters")
        elif kind == "FLOW" and not any(button.get(k) for k in ("flow_id", "flow_name",
                                                                 "flow_json")):
            problems.append(f"{where}: a Flow button needs flow_id, flow_name or flow_json")
    for kind, most in (("URL", MAX_URL_BUTTONS), ("PHONE_NUMBER", 1), ("COPY_CODE", 1)):
        if counts.get(kind, 0) > most:
            problems.append(f"{path}.buttons: at most {most} {kind} button(s), got "
                            f"{counts[kind]}")
    return problems


def _url_button(where: str, button: Mapping[str, Any]) -> list[str]:
    url = button.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return [f"{where}.url: an http(s) URL"]
    keys = PLACEHOLDER.findall(url)
    if not keys:
        return []
    if len(keys) > 1 or not url.rstrip().endswith("}}"):
        return [f"{where}.url: one parameter, at the end of the URL"]
    example = button.get("example")
    if not (isinstance(example, list) and example) and not isinstance(example, str):
        return [f"{where}.example: a sample URL for the parameter"]
    return []
