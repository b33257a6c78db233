"""The plugin's settings as typed values.

botkit has already checked ``[plugins.status-logger]`` against ``config.schema.json`` and
filled in its defaults; this module only gives the values their types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

PLUGIN = "status-logger"


@dataclass(frozen=True)
class StatusLoggerSettings:
    """Where the JSON lines file (``path``) and the status database (``db_path``) live."""

    path: Path
    db_path: Path

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StatusLoggerSettings:
        """From ``bot.config("status-logger")`` (or :func:`command_settings`)."""
        return cls(path=Path(config["path"]), db_path=Path(config["db_path"]))


def command_settings(config_path: str | None) -> StatusLoggerSettings:
    """The settings for a command that runs without the bot (``botkit status``), prepared by
    botkit exactly as ``bot.config()`` is (secrets are not needed). Settings problems end the
    command (exit code 2, every problem listed)."""
    from botkit.cli import load_settings, plugin_config

    return StatusLoggerSettings.from_config(
        plugin_config(load_settings(config_path, secrets=False), PLUGIN))
