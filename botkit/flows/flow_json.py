"""Check a Flow JSON document before uploading it, for the mistakes that break an endpoint.

Meta validates Flow JSON when it is uploaded; these local checks catch earlier, in tests or in
CI, the structural mistakes that make a Flow and its endpoint disagree: screens that do not
exist, ids Meta refuses, a routing model pointing nowhere. They are deliberately limited to
what is checked below: components, their properties, data model types and ``${...}`` bindings
are left to Meta's validator (the Flow Builder shows its messages).

Checked, each problem reported as ``<JSON path>: <message>``:

- ``version`` is a non-empty string;
- ``data_api_version``, when given, is ``"3.0"``;
- ``screens`` is a non-empty list of objects, each with an ``id`` made of letters and
  underscores only, unique, and not ``SUCCESS`` (reserved), and a ``layout`` object;
- at least one screen has ``"terminal": true``;
- ``routing_model``, when given, is an object whose keys and targets all name screens;
- every ``navigate`` action (under any ``*-action`` key) names an existing screen in
  ``next.name``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

SCREEN_ID = re.compile(r"[A-Za-z_]+")
RESERVED_SCREEN_IDS = frozenset({"SUCCESS"})
DATA_API_VERSIONS = frozenset({"3.0"})


def _check_screen(screen: Any, path: str, seen: set[str], problems: list[str]) -> None:
    if not isinstance(screen, dict):
        problems.append(f"{path}: a screen must be an object")
        return
    screen_id = screen.get("id")
    if not isinstance(screen_id, str) or not screen_id:
        problems.append(f"{path}.id: required, a non-empty string")
    elif screen_id in seen:
        problems.append(f"{path}.id: {screen_id!r} is used by another screen")
    else:
        seen.add(screen_id)  # even if Meta will refuse it: one mistake, one problem
        if not SCREEN_ID.fullmatch(screen_id):
            problems.append(f"{path}.id: {screen_id!r} may only contain letters and underscores")
        elif screen_id in RESERVED_SCREEN_IDS:
            problems.append(f"{path}.id: {screen_id!r} is reserved by Meta")
    if not isinstance(screen.get("layout"), dict):
        problems.append(f"{path}.layout: required, an object")


def _actions(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every action object (the value of a key ending in ``-action``) under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            plain = isinstance(key, str) and re.fullmatch(r"[A-Za-z_]\w*", key)
            child = f"{path}.{key}" if plain else f"{path}[{key!r}]"
            if isinstance(key, str) and key.endswith("-action") and isinstance(value, dict):
                yield child, value
            yield from _actions(value, child)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _actions(item, f"{path}[{index}]")


def _check_routing(routing: Any, screen_ids: set[str], problems: list[str]) -> None:
    if not isinstance(routing, dict):
        problems.append("$.routing_model: must be an object of screen id -> list of screen ids")
        return
    for source, targets in routing.items():
        path = f"$.routing_model[{source!r}]"
        if source not in screen_ids:
            problems.append(f"{path}: {source!r} is not a screen")
        if not isinstance(targets, list):
            problems.append(f"{path}: must be a list of screen ids")
            continue
        for index, target in enumerate(targets):
            if not isinstance(target, str) or target not in screen_ids:
                problems.append(f"{path}[{index}]: {target!r} is not a screen")


def check_flow_json(doc: Any) -> list[str]:
    """Every problem found in the Flow JSON ``doc`` (parsed), as ``path: message``; empty when
    the checks above all pass."""
    if not isinstance(doc, dict):
        return ["$: a Flow JSON document must be an object"]
    problems: list[str] = []
    version = doc.get("version")
    if not isinstance(version, str) or not version:
        problems.append("$.version: required, a string such as \"7.1\"")
    if "data_api_version" in doc and doc["data_api_version"] not in DATA_API_VERSIONS:
        problems.append(f"$.data_api_version: must be \"3.0\", not "
                        f"{doc['data_api_version']!r}")
    screens = doc.get("screens")
    if not isinstance(screens, list) or not screens:
        problems.append("$.screens: required, a non-empty list of screens")
        return problems
    screen_ids: set[str] = set()
    for index, screen in enumerate(screens):
        _check_screen(screen, f"$.screens[{index}]", screen_ids, problems)
    if not any(isinstance(s, dict) and s.get("terminal") is True for s in screens):
        problems.append("$.screens: no screen has \"terminal\": true, so the Flow cannot end")
    if "routing_model" in doc:
        _check_routing(doc["routing_model"], screen_ids, problems)
    for path, action in _actions(screens, "$.screens"):
        if action.get("name") != "navigate":
            continue
        target = action.get("next")
        name = target.get("name") if isinstance(target, dict) else None
        if not isinstance(name, str):
            problems.append(f"{path}.next.name: a navigate action needs the next screen's name")
        elif name not in screen_ids:
            problems.append(f"{path}.next.name: {name!r} is not a screen")
    return problems
