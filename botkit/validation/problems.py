"""Run a JSON Schema over settings-like data and report every problem with its path."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


def dotted_path(parts: Iterable[Any], prefix: str = "") -> str:
    """``plugins.auto-reply.rules[0].reply`` style paths, as users write them in TOML."""
    out = prefix
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def problems(validator: Draft202012Validator, instance: Any, prefix: str = "") -> list[str]:
    """Every error of ``instance``, one line each: ``path: message``, sorted by path."""
    found = []
    for error in validator.iter_errors(instance):
        found.append(f"{dotted_path(error.absolute_path, prefix)}: {_message(error)}")
    return sorted(found)


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    if error.validator == "anyOf" and all(
        set(option) == {"required"} for option in error.validator_value
    ):
        names = [name for option in error.validator_value for name in option["required"]]
        return "needs one of: " + ", ".join(names)
    if error.validator == "oneOf" and isinstance(error.instance, str):
        # A plain string that fails the string branch: say what the string got wrong.
        for sub in error.context or ():
            if sub.validator in ("pattern", "minLength", "enum"):
                return sub.message
    if error.validator == "oneOf" and any(
        "env" in option.get("properties", {}) for option in error.validator_value
    ):
        return "expected a string, {env = \"NAME\"} or {file = \"path\"}"
    return error.message


@cache
def packaged_validator(name: str) -> Draft202012Validator:
    """The validator of ``schemas/<name>.schema.json`` shipped inside the package."""
    text = resources.files("botkit").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)
