"""The hook reference stays in step with the hookspecs, and every hook has its own test."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botkit import hookspecs

REPO = Path(__file__).resolve().parents[1]
HEADING = re.compile(r"^### `(\w+)\((.*)\)(?: -> (.+))?`$", re.MULTILINE)


def specs() -> dict[str, Callable[..., Any]]:
    """Every hook botkit calls, by name: the functions marked as specs in ``hookspecs``."""
    return {name: obj for name, obj in vars(hookspecs).items()
            if callable(obj) and hasattr(obj, "botkit_spec")}


def typed_signature(name: str, spec: Callable[..., Any]) -> str:
    """``name(arg: Type, ...) -> Return`` as the hookspec writes it (annotations are kept as
    written, ``from __future__ import annotations``)."""
    signature = inspect.signature(spec)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"{name}({params}) -> {signature.return_annotation}"


def documented_signatures() -> dict[str, str]:
    text = (REPO / "docs" / "hooks.md").read_text()
    return {m.group(1): m.group(0)[5:-1] for m in HEADING.finditer(text)}


def test_every_hook_is_documented_with_its_exact_typed_signature():
    documented = documented_signatures()
    found = specs()
    assert len(found) >= 10
    for name, spec in found.items():
        assert documented.get(name) == typed_signature(name, spec), name
    assert set(documented) == set(found)


def test_every_hook_has_a_test():
    tests = "".join(p.read_text() for p in (REPO / "tests").glob("test_*.py"))
    for name in specs():
        assert f"def test_hook_{name}" in tests, f"no test_hook_{name}"
