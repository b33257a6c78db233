"""The plugin's settings with the schema's defaults applied."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from botkit import SettingsError

PLUGIN = "status-logger"
PREFIX = f"plugins.{PLUGIN}"


@dataclass(frozen=True)
class StatusLoggerSettings:
    path: Path = Path("botkit-data/statuses.jsonl")
    db_path: Path = Path("botkit-data/statuses.db")


@cache
def config_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("config.schema.json").read_text("utf-8")
    return json.loads(text)


def load_settings(table: Mapping[str, Any]) -> StatusLoggerSettings:
    """``[plugins.status-logger]`` checked against the schema; raises
    :class:`botkit.SettingsError` listing every problem."""
    validator = Draft202012Validator(config_schema())
    problems = sorted(f"{PREFIX}{''.join(f'.{p}' for p in error.absolute_path)}: "
                      f"{error.message}" for error in validator.iter_errors(table))
    if problems:
        raise SettingsError(problems)
    return StatusLoggerSettings(**{key: Path(table[key]) for key in ("path", "db_path")
                                   if key in table})
