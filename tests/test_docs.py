"""The hook reference stays in step with the hookspecs, and every hook has its own test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from botkit import hookspecs
from botkit.plugins import hook_names

REPO = Path(__file__).resolve().parents[1]


def documented_signatures() -> dict[str, str]:
    text = (REPO / "docs" / "hooks.md").read_text()
    return {m.group(1): m.group(0)[5:-1] for m in re.finditer(r"^### `(\w+)\(.*\)`$", text,
                                                              re.MULTILINE)}


def test_every_hook_is_documented_with_its_exact_signature():
    documented = documented_signatures()
    for name in hook_names():
        params = inspect.signature(getattr(hookspecs, name)).parameters
        assert documented.get(name) == f"{name}({', '.join(params)})", name
    assert set(documented) == set(hook_names())


def test_every_hook_has_a_test():
    tests = "".join(p.read_text() for p in (REPO / "tests").glob("test_*.py"))
    for name in hook_names():
        assert f"def test_hook_{name}" in tests, f"no test_hook_{name}"
