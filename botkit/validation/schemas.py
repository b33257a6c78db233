"""Check webhook items against the JSON Schemas shipped in ``botkit/schemas``.

Every stored event is checked, so the schemas are read and their validators built once;
afterwards validation only reads shared, immutable objects and is safe to run from several worker
threads at the same time. The checks of one schema live in ``_checker``, the wording of the
problems in ``_error_lines``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from botkit.errors import BotkitError
from botkit.validation._checker import Checker
from botkit.validation._error_lines import describe, json_path

__all__ = [
    "FIELDS_DIR",
    "KIND_SCHEMAS",
    "SUFFIX",
    "SchemaLoadError",
    "SchemaValidator",
    "describe",
    "json_path",
]

# Event kind -> schema file, without the suffix.
KIND_SCHEMAS = {
    "envelope": "envelope",
    "metadata": "metadata",
    "contact": "contact",
    "message": "message",
    "status": "status",
    "error": "error",
    "field": "field",
}
SUFFIX = ".schema.json"
FIELDS_DIR = "fields"


class SchemaLoadError(BotkitError):
    """A shipped schema is missing, unreadable, not JSON, or not a valid Draft 2020-12 schema."""


class SchemaValidator:
    """Loads every schema under schemas/ once and validates event items with prebuilt validators."""

    def __init__(self, schema_dir: Path | None = None) -> None:
        root: Traversable = (
            Path(schema_dir) if schema_dir is not None else resources.files("botkit") / "schemas"
        )
        schemas = _read_tree(root)
        missing = [name + SUFFIX for name in KIND_SCHEMAS.values() if name not in schemas]
        if missing:
            raise SchemaLoadError(f"schema directory {root} lacks {', '.join(missing)}")
        registry = _registry(schemas)
        gates = _gates(schemas)

        def checker(schema: dict[str, Any]) -> Checker:
            return Checker(Draft202012Validator(schema, registry=registry),
                            gates.get(schema["$id"]))

        self._kinds = {kind: checker(schemas[name]) for kind, name in KIND_SCHEMAS.items()}
        prefix = FIELDS_DIR + "/"
        self._fields = {
            name.removeprefix(prefix): checker(schema)
            for name, schema in sorted(schemas.items())
            if name.startswith(prefix) and "/" not in name.removeprefix(prefix)
        }

    def kinds(self) -> dict[str, str]:
        """Each event kind with the title of its schema."""
        return {kind: check.title(kind) for kind, check in self._kinds.items()}

    def fields(self) -> dict[str, str]:
        """Each webhook field that has a schema of its own, with that schema's title."""
        return {name: check.title(name) for name, check in self._fields.items()}

    def errors(self, kind: str, item: object, field: str | None = None) -> list[str]:
        """Every problem of ``item`` as sorted ``"<json path>: <message>"`` lines; [] if valid.

        ``field`` picks the schema of a ``field`` event's value (``fields/<field>.schema.json``,
        else the generic ``field.schema.json``); the other kinds ignore it.
        """
        checker = self._checker(kind, field)
        if checker.passes(item):
            return []
        found = checker.iter_errors(item)
        return sorted({line for error in found for line in describe(error)})

    def is_valid(self, kind: str, item: object, field: str | None = None) -> bool:
        """Whether ``item`` passes its schema; stops at the first problem."""
        checker = self._checker(kind, field)
        return checker.passes(item) or next(checker.iter_errors(item), None) is None

    def validate_body(self, body: object) -> list[str]:
        """Every problem of a whole POST body, with paths from its root.

        The envelope is checked first, then each change's ``value`` against the schema of its
        field (for ``messages``: the metadata and every contacts, messages, statuses and errors
        item), so a file passes here exactly when every event split from it passes.
        """
        problems = set(self.errors("envelope", body))
        for path, field, value in _changes(body):
            problems.update(path + line[1:] for line in self.errors("field", value, field=field))
        return sorted(problems)

    def _checker(self, kind: str, field: str | None) -> Checker:
        try:
            checker = self._kinds[kind]
        except (KeyError, TypeError):
            known = ", ".join(KIND_SCHEMAS)
            raise ValueError(f"unknown event kind {kind!r}; expected one of: {known}") from None
        if kind == "field" and isinstance(field, str):
            return self._fields.get(field, checker)
        return checker


def _read_tree(root: Traversable) -> dict[str, dict[str, Any]]:
    """``{"message": {...}, "fields/flows": {...}}`` for every schema file under ``root``."""
    if not root.is_dir():
        raise SchemaLoadError(f"schema directory not found: {root}")
    schemas = {}
    for name, entry in _schema_files(root, ""):
        try:
            schema = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SchemaLoadError(f"cannot read schema {name}{SUFFIX}: {exc}") from exc
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise SchemaLoadError(
                f"schema {name}{SUFFIX} is not a valid Draft 2020-12 schema: {exc.message}"
            ) from exc
        if not isinstance(schema, dict):
            raise SchemaLoadError(f"schema {name}{SUFFIX} must be a JSON object")
        schemas[name] = schema
    return schemas


def _schema_files(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _schema_files(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(SUFFIX):
            yield prefix + entry.name.removesuffix(SUFFIX), entry


def _gates(schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A compiled validator per schema ``$id`` (jsonschema-rs), or none where it is missing."""
    try:
        import jsonschema_rs
    except ImportError:  # jsonschema alone gives the same answers, only slower
        return {}
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
    return {schema["$id"]: jsonschema_rs.validator_for(schema, registry=registry)
            for schema in schemas.values()}


def _registry(schemas: dict[str, dict[str, Any]]) -> Registry:
    """Every schema under its ``$id``, so ``$ref``s between files resolve without any I/O."""
    by_id: dict[str, Resource] = {}
    for name, schema in schemas.items():
        uri = schema.get("$id")
        if not isinstance(uri, str) or not uri:
            raise SchemaLoadError(f"schema {name}{SUFFIX} has no $id")
        if uri in by_id:
            raise SchemaLoadError(f"schema {name}{SUFFIX} repeats the $id {uri}")
        by_id[uri] = Resource.from_contents(schema, default_specification=DRAFT202012)
    return Registry().with_resources(by_id.items()).crawl()


def _changes(body: object) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, field, value) of every well-formed change; the envelope schema reports the rest."""
    entries = body.get("entry") if isinstance(body, dict) else None
    for e, entry in enumerate(entries if isinstance(entries, list) else ()):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for c, change in enumerate(changes if isinstance(changes, list) else ()):
            if not isinstance(change, dict):
                continue
            field, value = change.get("field"), change.get("value")
            if isinstance(field, str) and isinstance(value, dict):
                yield f"$.entry[{e}].changes[{c}].value", field, value
