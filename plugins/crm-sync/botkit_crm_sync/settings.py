"""The plugin's settings with the schema's defaults applied, and the CRM credential resolved
from the environment (named in errors, never shown)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from botkit import SettingsError

PLUGIN = "crm-sync"
PREFIX = f"plugins.{PLUGIN}"


@dataclass(frozen=True)
class CrmSyncSettings:
    backend: str = "sqlite"
    path: Path = Path("botkit-data/contacts.db")
    url: str | None = None
    auth_header: str = "Authorization"
    auth_env: str | None = None
    auth_value: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    attempts: int = 3
    backoff: float = 0.5


@cache
def config_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("config.schema.json").read_text("utf-8")
    return json.loads(text)


def load_settings(table: Mapping[str, Any], env: Mapping[str, str] | None = None, *,
                  resolve_auth: bool = True) -> CrmSyncSettings:
    """``[plugins.crm-sync]`` checked against the schema; raises :class:`botkit.SettingsError`.

    ``resolve_auth=False`` skips reading the CRM credential (commands that only read the book).
    """
    env = os.environ if env is None else env
    validator = Draft202012Validator(config_schema())
    problems = sorted(f"{_path(error.absolute_path)}: {error.message}"
                      for error in validator.iter_errors(table))
    auth_value = None
    wants_auth = resolve_auth and table.get("backend") == "http" and table.get("auth_env")
    if not problems and wants_auth:
        auth_value = env.get(table["auth_env"]) or None
        if auth_value is None:
            problems.append(f"{PREFIX}.auth_env: environment variable {table['auth_env']} "
                            "is not set")
    if problems:
        raise SettingsError(problems)
    values = {key: table[key] for key in ("backend", "url", "auth_header", "auth_env",
                                          "timeout", "attempts", "backoff") if key in table}
    if "path" in table:
        values["path"] = Path(table["path"])
    return CrmSyncSettings(**values, auth_value=auth_value)


def _path(parts) -> str:
    out = PREFIX
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
