"""The one place that calls hook implementations and awaits the async ones.

pluggy does not await coroutines, so botkit walks ``get_hookimpls()`` itself, plugin by plugin
in ``enabled_plugins`` order, passing each implementation only the arguments it names.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from botkit.plugin_set import PluginSet

log = logging.getLogger("botkit.dispatch")


async def call_plugin(plugins: PluginSet, hook_name: str, plugin_name: str, *,
                      await_with: Callable[[Awaitable[Any]], Awaitable[Any]] | None = None,
                      **kwargs: Any) -> list[Any]:
    """Call ``plugin_name``'s implementations of ``hook_name``; exceptions propagate.

    ``await_with`` awaits what a plain function hands back to be awaited (a coroutine from a
    ``def`` that returns one), e.g. under the plugin's time limit.
    """
    results = []
    for impl in plugins.impls(hook_name, plugin_name):
        result = impl.function(*[kwargs[arg] for arg in impl.argnames])
        if inspect.isawaitable(result):
            result = await (result if await_with is None else await_with(result))
        results.append(result)
    return results


async def first_result(plugins: PluginSet, hook_name: str, *,
                       among: Iterable[str] | None = None, **kwargs: Any) -> Any:
    """The first non-``None`` result, asking plugins (``among`` them, when given: those of one
    business number) in call order; exceptions propagate."""
    for name in plugins.implementing(hook_name, among):
        for result in await call_plugin(plugins, hook_name, name, **kwargs):
            if result is not None:
                return result
    return None


async def call_all(plugins: PluginSet, hook_name: str, *, isolate: bool,
                   among: Iterable[str] | None = None, **kwargs: Any) -> None:
    """Call every plugin's implementation in order (of ``among`` only, when given).

    With ``isolate`` a failing plugin is logged by name and the others still run; without it the
    first exception propagates (start-up must not go on half configured).
    """
    for name in plugins.implementing(hook_name, among):
        try:
            await call_plugin(plugins, hook_name, name, **kwargs)
        except Exception as exc:
            if not isolate:
                raise
            log.error("plugin %s failed in %s: %s: %s", name, hook_name, type(exc).__name__, exc)
