"""The plugin's settings as typed values.

botkit has already checked ``[plugins.crm-sync]`` against ``config.schema.json``, filled in its
defaults and resolved the CRM credential (``auth``, a secret given as ``{ env = "NAME" }`` or
``{ file = "path" }``, masked in botkit's logs); this module only gives the values their types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

PLUGIN = "crm-sync"


@dataclass(frozen=True)
class CrmSyncSettings:
    """``[plugins.crm-sync]``; ``auth`` is kept out of ``repr`` so it cannot reach a log."""

    backend: str
    path: Path
    url: str | None
    auth_header: str
    auth: str | None = field(repr=False)
    timeout: float
    attempts: int
    backoff: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CrmSyncSettings:
        """From ``bot.config("crm-sync")`` (or :func:`command_settings`)."""
        return cls(
            backend=str(config["backend"]),
            path=Path(config["path"]),
            url=config.get("url"),
            auth_header=str(config["auth_header"]),
            auth=config.get("auth") or None,
            timeout=float(config["timeout"]),
            attempts=int(config["attempts"]),
            backoff=float(config["backoff"]),
        )


def command_settings(config_path: str | None) -> CrmSyncSettings:
    """The settings for a command that runs without the bot (``botkit contacts``), prepared by
    botkit exactly as ``bot.config()`` is, except that secrets are not needed: an unresolved
    ``auth`` is left empty. Settings problems end the command (exit code 2, every problem
    listed)."""
    from botkit.cli import load_settings, plugin_config

    return CrmSyncSettings.from_config(
        plugin_config(load_settings(config_path, secrets=False), PLUGIN))
