"""Check webhook items against the JSON Schemas shipped in ``botkit/schemas``.

Every stored event is checked, so the schemas are read and their validators built once;
afterwards validation only reads shared, immutable objects and is safe to run from several worker
threads at the same time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from botkit.errors import BotkitError

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

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PATTERN_MEANINGS = {"^[0-9]+$": "expected a string of digits"}
_BOUNDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}


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

        def checker(schema: dict[str, Any]) -> _Checker:
            return _Checker(Draft202012Validator(schema, registry=registry),
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

    def _checker(self, kind: str, field: str | None) -> _Checker:
        try:
            checker = self._kinds[kind]
        except (KeyError, TypeError):
            known = ", ".join(KIND_SCHEMAS)
            raise ValueError(f"unknown event kind {kind!r}; expected one of: {known}") from None
        if kind == "field" and isinstance(field, str):
            return self._fields.get(field, checker)
        return checker


class _Checker:
    """One schema's validator, with a shortcut for a root ``allOf`` that switches on one key.

    ``message.schema.json`` checks the object of each known type in ``if type == X then ...``
    branches, and jsonschema evaluates every ``if`` in turn. When all ``allOf`` items have that
    shape, the rest of the schema is checked as usual and only the branch named by the item's
    value is applied: the same errors, several times faster.
    """

    def __init__(self, validator: Draft202012Validator, gate: Any = None) -> None:
        self.schema: dict[str, Any] = validator.schema
        self.gate = gate
        self.common = validator
        self.key: str | None = None
        self.branches: dict[str, Draft202012Validator] = {}
        switch = _switch(self.schema.get("allOf"))
        if switch is not None:
            self.key, thens = switch
            rest = {name: value for name, value in self.schema.items() if name != "allOf"}
            self.common = validator.evolve(schema=rest)
            self.branches = {value: validator.evolve(schema=then) for value, then in thens.items()}

    def title(self, default: str) -> str:
        return self.schema.get("title", default)

    def passes(self, item: object) -> bool:
        """The compiled check: about a microsecond for an event that is valid, as nearly all
        are. Only a "no" (or a value it cannot take) goes on to jsonschema for the reasons."""
        if self.gate is None:
            return False
        try:
            return self.gate.is_valid(item)
        except (ValueError, TypeError, OverflowError):
            return False

    def iter_errors(self, item: object) -> Iterator[ValidationError]:
        yield from self.common.iter_errors(item)
        if self.key is not None and isinstance(item, dict):
            value = item.get(self.key)
            branch = self.branches.get(value) if isinstance(value, str) else None
            if branch is not None:
                yield from branch.iter_errors(item)


def _switch(all_of: Any) -> tuple[str, dict[str, Any]] | None:
    """``(key, {value: then})`` if every item is ``if <key> == "<value>" then ...``, else None."""
    if not isinstance(all_of, list) or not all_of:
        return None
    keys, thens = set(), {}
    for item in all_of:
        case = _case(item)
        if case is None or case[1] in thens:
            return None
        keys.add(case[0])
        thens[case[1]] = item["then"]
    return (keys.pop(), thens) if len(keys) == 1 else None


def _case(item: Any) -> tuple[str, str] | None:
    """``(key, value)`` for ``{"if": {"required": [key], "properties": {key: {"const": value}}},
    "then": ...}`` with a string value; None for any other shape."""
    if not isinstance(item, dict) or set(item) != {"if", "then"}:
        return None
    condition = item["if"]
    if not isinstance(condition, dict) or set(condition) != {"required", "properties"}:
        return None
    required, properties = condition["required"], condition["properties"]
    if not isinstance(required, list) or len(required) != 1 or not isinstance(properties, dict):
        return None
    if properties.keys() != {*required}:
        return None
    key = required[0]
    test = properties[key]
    if not isinstance(test, dict) or test.keys() != {"const"} or not isinstance(test["const"], str):
        return None
    return key, test["const"]


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


def json_path(parts: Iterable[str | int]) -> str:
    """``$.errors[0].code`` style path; keys that are not plain names are quoted: ``$["a b"]``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def describe(error: ValidationError) -> Iterator[str]:
    """``"<json path>: <message>"`` lines for one jsonschema error (one per missing key).

    Lines name the rule that was broken, never the offending value: items hold personal data,
    and these lines end up in logs and in the quarantine.
    """
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                yield f"{json_path([*path, name])}: required key is missing"
        return
    yield f"{json_path(path)}: {_message(error.validator, error.validator_value, error.instance)}"


def _message(rule: Any, expected: Any, instance: Any) -> str:
    if rule == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {wanted}, got {_json_type(instance)}"
    if rule == "anyOf" and all(set(option) == {"required"} for option in expected):
        return "needs one of the keys: " + ", ".join(
            name for option in expected for name in option["required"]
        )
    if rule in ("anyOf", "oneOf"):
        return "matches none of the allowed forms"
    if rule == "pattern":
        return _PATTERN_MEANINGS.get(expected, f"does not match the pattern {expected}")
    if rule == "minLength":
        return "must not be empty" if expected == 1 else f"needs at least {expected} characters"
    if rule in _BOUNDS:
        return f"must be {_BOUNDS[rule]} {expected}"
    if rule == "const":
        return f"must be {json.dumps(expected)}"
    if rule == "enum":
        return "must be one of: " + ", ".join(json.dumps(value) for value in expected)
    return f"breaks the schema rule {rule!r}"


def _json_type(value: Any) -> str:
    """The JSON name of a Python value's type (``True`` is a boolean, not an integer)."""
    if value is None:
        return "null"
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"))
