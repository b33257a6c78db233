"""The plugin's settings, compiled once at start-up.

botkit has already checked ``[plugins.auto-reply]`` against ``config.schema.json`` and filled
in its defaults; what a schema cannot check (regular expressions, placeholders, time zones) is
checked here, with every problem reported together so the server refuses to start with a
message that says what to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from botkit import SettingsError

from .hours import BusinessHours, parse_hours
from .replies import ReplyTemplate
from .rules import Rule, compile_rule

PLUGIN = "auto-reply"
PREFIX = f"plugins.{PLUGIN}"

T = TypeVar("T")


@dataclass(frozen=True)
class AutoReplySettings:
    """``[plugins.auto-reply]`` compiled: rules, replies and business hours ready to use."""

    rules: tuple[Rule, ...]
    default_reply: ReplyTemplate | None
    business_hours: BusinessHours | None
    away_reply: ReplyTemplate | None
    mark_read: bool
    typing_indicator: bool


def load_settings(config: Mapping[str, Any]) -> AutoReplySettings:
    """Compile ``bot.config("auto-reply")``; raises :class:`botkit.SettingsError` listing every
    problem (regular expressions, placeholders, time zone, opening hours)."""
    problems: list[str] = []
    rules = [_collect(problems, compile_rule, rule, f"{PREFIX}.rules[{i}]")
             for i, rule in enumerate(config["rules"])]
    default = None
    if "default_reply" in config:
        default = _collect(problems, ReplyTemplate, config["default_reply"],
                           f"{PREFIX}.default_reply")
    hours = away = None
    if "business_hours" in config:
        where = f"{PREFIX}.business_hours"
        hours = _collect(problems, parse_hours, config["business_hours"], where)
        away = _collect(problems, ReplyTemplate, config["business_hours"]["away_reply"],
                        f"{where}.away_reply")
    if problems:
        raise SettingsError(problems)
    return AutoReplySettings(
        rules=tuple(rule for rule in rules if rule is not None), default_reply=default,
        business_hours=hours, away_reply=away, mark_read=bool(config["mark_read"]),
        typing_indicator=bool(config["typing_indicator"]),
    )


def _collect(problems: list[str], build: Callable[[Any, str], T], value: Any, where: str
             ) -> T | None:
    """``build(value, where)``, or ``None`` with its ``ValueError`` lines added to ``problems``."""
    try:
        return build(value, where)
    except ValueError as exc:
        problems.extend(str(exc).splitlines())
        return None
