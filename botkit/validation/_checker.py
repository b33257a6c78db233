"""One schema's prebuilt validators: a compiled yes/no check first (jsonschema-rs, when
installed), jsonschema for the reasons, and a shortcut for schemas that switch on one key.

Kept apart from :class:`~botkit.validation.schemas.SchemaValidator`, which loads the files and
picks a checker per event kind, because this is the part that is about speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


class Checker:
    """One schema's validator, with a shortcut for a root ``allOf`` that switches on one key.

    ``message.schema.json`` checks the object of each known type in ``if type == X then ...``
    branches, and jsonschema evaluates every ``if`` in turn. When all ``allOf`` items have that
    shape, the rest of the schema is checked as usual and only the branch named by the item's
    value is applied: the same errors, several times faster.
    """

    def __init__(self, validator: Draft202012Validator, gate: Any) -> None:
        self.schema: dict[str, Any] = validator.schema
        self.gate = gate
        self.common = validator
        self.key: str | None = None
        self.branches: dict[str, Draft202012Validator] = {}
        switch = key_switch(self.schema.get("allOf"))
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


def key_switch(all_of: Any) -> tuple[str, dict[str, Any]] | None:
    """``(key, {value: then})`` if every item is ``if <key> == "<value>" then ...``, else None."""
    if not isinstance(all_of, list) or not all_of:
        return None
    keys, thens = set(), {}
    for item in all_of:
        case = key_case(item)
        if case is None or case[1] in thens:
            return None
        keys.add(case[0])
        thens[case[1]] = item["then"]
    return (keys.pop(), thens) if len(keys) == 1 else None


def key_case(item: Any) -> tuple[str, str] | None:
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
