"""docs/settings.md stays in step with schemas/settings.schema.json, read when the test runs:
every table and key documented, none that no longer exists, defaults and choices as the schema
has them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "schemas" / "settings.schema.json"
DOC = REPO / "docs" / "settings.md"
HEADING = re.compile(r"^## `\[(\w+)\]`", re.MULTILINE)
ROW = re.compile(r"^\| `([\w.]+)` \|(.*)\|\s*$", re.MULTILINE)


def schema_tables_and_keys() -> tuple[set[str], dict[str, dict[str, Any]]]:
    """Top-level tables, and every key below them (``server.bind``; keys of a table-valued
    option such as ``security.allowed_networks.file`` too) with its schema."""
    schema = json.loads(SCHEMA.read_text())
    tables, keys = set(), {}
    for name, prop in schema["properties"].items():
        if prop.get("type") == "object":
            tables.add(name)
            keys.update(_keys(prop, name))
        else:
            keys[name] = prop
    return tables, keys


def _keys(prop: dict[str, Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    branches = [prop, *prop.get("oneOf", []), *prop.get("anyOf", []), *prop.get("allOf", [])]
    for branch in branches:
        for name, child in branch.get("properties", {}).items():
            path = f"{prefix}.{name}"
            yield path, child
            yield from _keys(child, path)


def documented() -> tuple[set[str], dict[str, str]]:
    text = DOC.read_text()
    return set(HEADING.findall(text)), dict(ROW.findall(text))


def toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    return repr(value)


def test_every_table_is_documented_and_none_is_stale():
    tables, _ = schema_tables_and_keys()
    headings, _ = documented()
    assert tables - headings == set(), "tables missing from docs/settings.md"
    assert headings - tables == set(), "docs/settings.md documents tables the schema lacks"


def test_every_key_is_documented_and_none_is_stale():
    _, keys = schema_tables_and_keys()
    _, rows = documented()
    assert set(keys) - set(rows) == set(), "keys missing from docs/settings.md"
    assert set(rows) - set(keys) == set(), "docs/settings.md documents keys the schema lacks"


@pytest.mark.parametrize("key", sorted(schema_tables_and_keys()[1]))
def test_defaults_and_choices_match_the_schema(key):
    prop = schema_tables_and_keys()[1][key]
    row = documented()[1].get(key)
    assert row is not None, f"{key} is not documented"
    default_cell = row.split("|")[1]
    if "default" in prop:
        assert f"`{toml_literal(prop['default'])}`" in default_cell, (
            f"{key}: the schema's default is {toml_literal(prop['default'])}")
    for choice in prop.get("enum", []):
        assert toml_literal(choice) in row, f"{key}: choice {choice!r} is not documented"


def test_the_rules_read_what_they_should():
    """The parsers above find what they are meant to, so the checks cannot pass vacuously."""
    tables, keys = schema_tables_and_keys()
    headings, rows = documented()
    assert {"whatsapp", "server", "store", "dispatch", "logging", "plugins"} <= tables
    assert {"whatsapp.app_secret", "store.durability", "enabled_plugins"} <= set(keys)
    assert len(rows) >= 30 and headings >= {"whatsapp", "plugins"}
    assert toml_literal([]) == "[]" and toml_literal(0.5) == "0.5" and \
        toml_literal("full") == '"full"'


def test_the_docs_index_links_every_page_and_every_link_resolves():
    """docs/index.md reaches every page; relative links in the docs point at files that exist."""
    docs = REPO / "docs"
    index = (docs / "index.md").read_text()
    linked = set(re.findall(r"\]\(([\w-]+\.md)\)", index))
    assert {p.name for p in docs.glob("*.md")} - {"index.md"} <= linked
    for page in docs.glob("*.md"):
        for target in re.findall(r"\]\((?!https?:|#)([^)#\s]+)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
