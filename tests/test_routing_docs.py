"""docs/routers.md stays true: every filter is in its reference, and its examples run."""

from __future__ import annotations

import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any

from botkit.routing import Router
from botkit.routing import filters as f
from botkit.routing.filters_base import Filter

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE = (DOCS / "routers.md").read_text(encoding="utf-8")


def documented_filters() -> set[str]:
    return set(re.findall(r"`(f\.[a-z_]+(?:\.[a-z_]+)?)\(", GUIDE))


def test_every_filter_is_in_the_reference():
    expected = set()
    for name in f.__all__:
        value = getattr(f, name)
        if inspect.isclass(value) or name == "as_filter":
            continue
        if inspect.isfunction(value):
            expected.add(f"f.{name}")
        else:  # a namespace such as f.text
            expected |= {f"f.{name}.{method}" for method in dir(value)
                         if not method.startswith("_")}
    missing = expected - documented_filters()
    assert not missing, f"not in docs/routers.md: {sorted(missing)}"
    assert documented_filters() <= expected | {"f.button.data"}


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


async def test_the_guide_examples_run_as_written(monkeypatch):
    async def lookup_tier(sender: str) -> str:
        return "silver"
    module = types.ModuleType("routers_guide")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = vars(module)
    namespace["lookup_tier"] = lookup_tier
    for block in python_blocks(GUIDE):  # as one module, the blocks in order
        exec(compile(block, "docs/routers.md", "exec", dont_inherit=True), namespace)
    assert isinstance(namespace["router"], Router)
    assert isinstance(namespace["f"].text.any(), Filter)
    await namespace["test_menu_and_taps"]()


def test_the_migration_page_links_back_and_names_real_filters():
    page = (DOCS / "coming-from-pywa-aiogram.md").read_text(encoding="utf-8")
    assert "routers.md" in page
    used = set(re.findall(r"`(f\.[a-z_]+(?:\.[a-z_]+)?)\(", page))
    assert used and used <= documented_filters()
    assert "coming-from-pywa-aiogram.md" in GUIDE
