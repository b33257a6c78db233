"""The package's shape, checked from the source: no import cycles, no private imports from
outside the core, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "botkit"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")
            if "templates" not in path.relative_to(PACKAGE).parts}


def imported(path: Path, known: set[str], *, include_local: bool,
             include_type_only: bool = True) -> set[str]:
    """The botkit modules ``path`` imports: at module level, under ``TYPE_CHECKING`` unless
    ``include_type_only`` is false, and with ``include_local`` also inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(
        ".")[0]
    found: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if not include_type_only and _is_type_checking_block(child):
                continue
            local = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import | ast.ImportFrom) and (include_local or not local):
                for target in _targets(child, package):
                    # ``from botkit.x import y`` may name a module ``botkit.x.y`` or a name.
                    found.add(target if target in known else target.rpartition(".")[0])
            visit(child, local)

    visit(tree, False)
    return {name for name in found if name in known and name != module_name(path)}


def _is_type_checking_block(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): imports only a type checker runs."""
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parent = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(parent + ([base] if base else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def import_graph(*, include_local: bool, include_type_only: bool = True
                 ) -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    graph = {}
    for name, path in mods.items():
        targets = imported(path, known, include_local=include_local,
                           include_type_only=include_type_only)
        # A module importing its own package's __init__ is not a dependency on a sibling.
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    return graph


def test_no_import_cycle_among_botkit_modules():
    cycle = find_cycle(import_graph(include_local=False))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_import_cycle_at_run_time_either():
    """Imports deferred into functions count too: a factory that imports its backends while
    the backends import the factory's module is a cycle Python only happens to survive.
    (Imports for annotations only, under ``TYPE_CHECKING``, run no code.)"""
    cycle = find_cycle(import_graph(include_local=True, include_type_only=False))
    assert cycle is None, "import cycle at run time: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_settings_is_the_bottom_layer():
    """Settings validate themselves with leaf helpers and import no feature module."""
    graph = import_graph(include_local=True)
    allowed = {"botkit.errors", "botkit.secrets", "botkit.security.checks",
               "botkit.security.names", "botkit.security.networks",
               "botkit.validation.problems", "botkit.flows.keys", "botkit.settings_tables",
               "botkit._settings_parsing", "botkit.settings_numbers"}
    for part in ("botkit.settings", "botkit.settings_tables", "botkit._settings_parsing",
                 "botkit.settings_numbers"):
        assert graph[part] <= allowed, (part, graph[part] - allowed)


@pytest.mark.parametrize("name", ["botkit.json_codec", "botkit.secrets", "botkit.store.records",
                                  "botkit.events", "botkit.errors", "botkit.replies",
                                  "botkit.message_shortcuts"])
def test_leaf_modules_stay_leaves(name):
    graph = import_graph(include_local=False)
    # The message shortcuts import what they use inside each method, so they stay a leaf too.
    assert graph[name] <= {"botkit.errors", "botkit.events", "botkit.message_shortcuts"}, (
        graph[name])
