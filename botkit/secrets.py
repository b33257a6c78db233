"""Secrets written as ``{ env = "NAME" }`` or ``{ file = "path" }`` in settings, resolved once.

Used for the core's own settings and for plugin settings alike, so both name a missing secret
the same way and both feed the log masking. A leaf module: it imports nothing from botkit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


class SecretResolver:
    """Resolves secret references; collects problems (by settings path) and resolved values.

    ``values`` holds every secret resolved so far, so the caller can mask them in logs.
    """

    def __init__(self, env: Mapping[str, str], base_dir: Path, required: bool = True) -> None:
        self.env, self.base_dir = env, base_dir
        self.required = required
        self.problems: list[str] = []
        self.values: list[str] = []

    def resolve(self, raw: Any, path: str, optional: bool = False) -> str | None:
        """The secret's value; ``None`` (and a problem unless optional) when it is missing."""
        optional = optional or not self.required
        if raw is None:
            return None
        if isinstance(raw, str):
            self._keep(raw)
            return raw
        if "env" in raw:
            value = self.env.get(raw["env"], "")
            if not value and not optional:
                self.problems.append(f"{path}: environment variable {raw['env']} is not set")
            self._keep(value)
            return value or None
        file = Path(raw["file"]).expanduser()
        file = file if file.is_absolute() else self.base_dir / file
        try:
            value = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            if not optional:
                self.problems.append(f"{path}: cannot read secret file {file}: {exc.strerror}")
            return None
        if not value and not optional:
            self.problems.append(f"{path}: secret file {file} is empty")
        self._keep(value)
        return value or None

    def _keep(self, value: str) -> None:
        if value:
            self.values.append(value)
