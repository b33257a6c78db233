"""The compiled schema check agrees with jsonschema on every item it is shown."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import payload_bytes, payload_files

from botkit.validation.events import shared_validator
from botkit.webhook.splitting import split_body

KINDS = {"message", "status", "contact", "error"}


def sample_items() -> list[tuple[str, str, object]]:
    items = []
    for name in payload_files():
        for record in split_body(json.loads(payload_bytes(name))).records:
            context = json.loads(record.payload)
            if record.kind in KINDS and context["field"] == "messages":
                items.append((record.kind, None, context["item"]))
            elif record.kind == "field":
                items.append(("field", context["field"], context["item"]))
    return items


def agree(kind: str, field: str | None, item: object) -> None:
    validator = shared_validator()
    checker = validator._checker(kind, field)
    slow_valid = next(checker.iter_errors(item), None) is None
    assert checker.passes(item) is slow_valid, (kind, field, item)
    assert (validator.errors(kind, item, field=field) == []) is slow_valid


@pytest.mark.parametrize(("kind", "field", "item"), sample_items())
def test_gate_agrees_on_every_sample_item(kind, field, item):
    assert shared_validator()._checker(kind, field).gate is not None
    agree(kind, field, item)


MUTATIONS = [None, 0, -1, 1.5, "", "x", "123", True, [], {}, [1], {"a": 1}, 10**30]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sample_items()), st.data())
def test_gate_agrees_on_mutated_items(sample, data):
    kind, field, item = sample
    item = copy.deepcopy(item)
    # Replace or delete one value somewhere in the item.
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                paths.append((*path, key))
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                paths.append((*path, index))
                walk(value, (*path, index))

    walk(item, ())
    if paths:
        path = data.draw(st.sampled_from(paths))
        parent = item
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(st.sampled_from(MUTATIONS))
    agree(kind, field, item)
