"""The plugin's settings, checked and compiled once at start-up: every problem is reported
together, so the server refuses to start with a message that says what to fix."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from botkit import SettingsError

from .hours import BusinessHours, parse_hours
from .replies import Reply
from .rules import Rule, compile_rule

PLUGIN = "auto-reply"
PREFIX = f"plugins.{PLUGIN}"


@dataclass(frozen=True)
class AutoReplySettings:
    rules: tuple[Rule, ...] = ()
    default_reply: Reply | None = None
    business_hours: BusinessHours | None = None
    away_reply: Reply | None = None
    mark_read: bool = True
    typing_indicator: bool = False


@cache
def config_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("config.schema.json").read_text("utf-8")
    return json.loads(text)


def load_settings(table: Mapping[str, Any]) -> AutoReplySettings:
    """Compile ``[plugins.auto-reply]``; raises :class:`botkit.SettingsError` listing every
    problem (schema, regular expressions, placeholders, time zone)."""
    validator = Draft202012Validator(config_schema())
    problems = sorted(f"{_path(error.absolute_path)}: {_schema_message(error)}"
                      for error in validator.iter_errors(table))
    if problems:
        raise SettingsError(problems)
    rules = []
    for i, rule in enumerate(table.get("rules", ())):
        compiled = _collect(problems, compile_rule, rule, f"{PREFIX}.rules[{i}]")
        if compiled is not None:
            rules.append(compiled)
    default = None
    if "default_reply" in table:
        default = _collect(problems, Reply, table["default_reply"], f"{PREFIX}.default_reply")
    hours = away = None
    if "business_hours" in table:
        where = f"{PREFIX}.business_hours"
        hours = _collect(problems, parse_hours, table["business_hours"], where)
        away = _collect(problems, Reply, table["business_hours"]["away_reply"],
                        f"{where}.away_reply")
    if problems:
        raise SettingsError(problems)
    defaults = AutoReplySettings()
    return AutoReplySettings(
        rules=tuple(rules), default_reply=default, business_hours=hours, away_reply=away,
        mark_read=table.get("mark_read", defaults.mark_read),
        typing_indicator=table.get("typing_indicator", defaults.typing_indicator),
    )


def _collect(problems: list[str], build, value: Any, where: str):
    try:
        return build(value, where)
    except ValueError as exc:
        problems.extend(str(exc).splitlines())
        return None


def _schema_message(error: ValidationError) -> str:
    options = error.validator_value
    if error.validator == "anyOf" and all(set(option) == {"required"} for option in options):
        return "needs one of: " + ", ".join(o["required"][0] for o in options)
    return error.message


def _path(parts) -> str:
    out = PREFIX
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
