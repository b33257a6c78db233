"""Which schema checks which stored event (the item, plus the metadata botkit routes on)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from botkit.validation.schemas import SchemaValidator

#: Event kinds botkit stores itself (timers firing, handoffs).
CORE_KINDS = frozenset({"timer", "handoff"})


@cache
def shared_validator() -> SchemaValidator:
    """The shipped schemas, loaded once per process (loading checks ~100 schema files)."""
    return SchemaValidator()


class EventChecker:
    """Applies the shipped JSON Schemas to stored events; returns every problem found."""

    def __init__(self, validator: SchemaValidator | None = None) -> None:
        self.schemas = validator or shared_validator()

    def event_errors(self, kind: str, context: Mapping[str, Any]) -> list[str]:
        if kind in CORE_KINDS:
            return []  # written by botkit itself, not by Meta: nothing to hold against a schema
        item, field = context.get("item"), context.get("field")
        if kind == "field":
            return self.schemas.errors("field", item, field=field)
        if field == "user_id_update":
            return self.schemas.errors("field", {"user_id_update": [item]}, field=field)
        found = self.schemas.errors(kind, item)
        metadata = context.get("metadata")
        if kind in ("message", "status") and not metadata:
            found.append("$.metadata: missing; the business phone number is unknown")
        elif metadata:
            found += [f"$.metadata{p[1:]}" for p in self.schemas.errors("metadata", metadata)]
        return found
