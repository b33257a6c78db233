"""A plugin's ``[plugins.<name>]`` table as the plugin receives it from ``bot.config(name)``.

The core does the work every plugin would otherwise repeat: secrets given as ``{ env = "NAME" }``
or ``{ file = "path" }`` are resolved once at start-up (where the plugin's schema marks the
property ``"secret": true``), the table is checked against the plugin's schema with every
problem reported together, the schema's ``default`` values are filled in (in nested objects and
arrays of objects too), and the result is frozen so that one plugin cannot change what another
part of the process reads.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator

from botkit.secrets import SecretResolver
from botkit.validation.problems import problems

SECRET_KEYWORD = "secret"


class PluginConfig(Mapping[str, Any]):
    """A read-only view of a plugin's settings; nested tables and lists are read-only too."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = MappingProxyType({key: _frozen(value) for key, value in data.items()})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        # Secrets were resolved into the table: never print values.
        return f"PluginConfig(keys={sorted(self._data)!r})"


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return PluginConfig(value)
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


def prepare_config(name: str, table: Mapping[str, Any], schema: Mapping[str, Any] | None, *,
                   env: Mapping[str, str], base_dir: Path, resolve_secrets: bool = True,
                   prefix: str | None = None) -> tuple[dict[str, Any], list[str], list[str]]:
    """Resolve secrets, validate and fill defaults: ``(config, problems, secret values)``.

    Problems carry ``plugins.<name>`` paths (or ``prefix``: a number's table) as users write
    them in TOML. With
    ``resolve_secrets=False`` (commands that never call out) unresolvable secrets become empty
    strings instead of problems.
    """
    prefix = prefix or f"plugins.{name}"
    data = copy.deepcopy(dict(table))
    if schema is None:
        return data, [], []
    resolver = SecretResolver(env, base_dir, required=resolve_secrets)
    _resolve_secrets(data, schema, prefix, resolver)
    found = list(resolver.problems)
    if not found:
        found = problems(Draft202012Validator(dict(schema)), data, prefix=prefix)
    if found:
        return data, found, resolver.values
    fill_defaults(data, schema)
    return data, [], resolver.values


def _resolve_secrets(data: Any, schema: Mapping[str, Any], path: str,
                     resolver: SecretResolver) -> None:
    """Replace ``{env}``/``{file}`` references under secret-marked properties by their value."""
    if isinstance(data, dict):
        properties = schema.get("properties", {})
        for key, value in list(data.items()):
            sub = properties.get(key)
            if not isinstance(sub, Mapping):
                continue
            if sub.get(SECRET_KEYWORD) is True and (isinstance(value, str)
                                                    or _is_reference(value)):
                # Literal strings too: they are masked in logs like resolved ones.
                data[key] = resolver.resolve(value, f"{path}.{key}") or ""
            else:
                _resolve_secrets(value, sub, f"{path}.{key}", resolver)
    elif isinstance(data, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(data):
            _resolve_secrets(item, schema["items"], f"{path}[{index}]", resolver)


def _is_reference(value: Any) -> bool:
    return (isinstance(value, Mapping) and len(value) == 1
            and ("env" in value or "file" in value)
            and all(isinstance(v, str) for v in value.values()))


def fill_defaults(data: Any, schema: Mapping[str, Any]) -> None:
    """Put each absent property's ``default`` in place, recursing into given objects/arrays."""
    if isinstance(data, dict):
        for key, sub in schema.get("properties", {}).items():
            if not isinstance(sub, Mapping):
                continue
            if key not in data and "default" in sub:
                data[key] = copy.deepcopy(sub["default"])
            if key in data:
                fill_defaults(data[key], sub)
    elif isinstance(data, list) and isinstance(schema.get("items"), Mapping):
        for item in data:
            fill_defaults(item, schema["items"])

