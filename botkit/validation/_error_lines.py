"""jsonschema errors as short ``"<json path>: <message>"`` lines that name the broken rule and
never the offending value (items hold personal data; these lines reach logs and the quarantine).

Kept apart from loading and validating: it is the wording, read and changed on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema.exceptions import ValidationError

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PATTERN_MEANINGS = {"^[0-9]+$": "expected a string of digits"}
_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}


def json_path(parts: Iterable[str | int]) -> str:
    """``$.errors[0].code`` style path; keys that are not plain names are quoted: ``$["a b"]``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def describe(error: ValidationError) -> Iterator[str]:
    """``"<json path>: <message>"`` lines for one jsonschema error (one per missing key).

    Lines name the rule that was broken, never the offending value: items hold personal data,
    and these lines end up in logs and in the quarantine.
    """
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                yield f"{json_path([*path, name])}: required key is missing"
        return
    yield f"{json_path(path)}: {_message(error.validator, error.validator_value, error.instance)}"


def _message(rule: Any, expected: Any, instance: Any) -> str:
    if rule == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {wanted}, got {_json_type(instance)}"
    if rule == "anyOf" and all(set(option) == {"required"} for option in expected):
        return "needs one of the keys: " + ", ".join(
            name for option in expected for name in option["required"]
        )
    if rule in ("anyOf", "oneOf"):
        return "matches none of the allowed forms"
    if rule == "pattern":
        return _PATTERN_MEANINGS.get(expected, f"does not match the pattern {expected}")
    if rule == "maxLength":
        return f"longer than {expected} characters"
    if rule == "minLength":
        return "must not be empty" if expected == 1 else f"needs at least {expected} characters"
    if rule in _BOUNDS:
        return f"must be {_BOUNDS[rule]} {expected}"
    if rule == "const":
        return f"must be {json.dumps(expected)}"
    if rule == "enum":
        return "must be one of: " + ", ".join(json.dumps(value) for value in expected)
    return f"breaks the schema rule {rule!r}"


def _json_type(value: Any) -> str:
    """The JSON name of a Python value's type (``True`` is a boolean, not an integer)."""
    if value is None:
        return "null"
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"))
