"""The enabled plugins of a running bot, in call order, and their implementations by hook.

Kept apart from plugin discovery (:mod:`botkit.plugins`) so that the bot, and the module that
calls hooks, need not import the hook specifications, which name the bot in their types.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping

import pluggy

from botkit.plugin_config import PluginConfig


class PluginSet:
    """The enabled plugins, registered on a fresh pluggy manager, in call order."""

    def __init__(self, names: tuple[str, ...], manager: pluggy.PluginManager,
                 configs: Mapping[str, PluginConfig], hook_names: Iterable[str],
                 secrets: tuple[str, ...] = ()) -> None:
        self.names = names
        self.manager = manager
        self.configs = dict(configs)
        #: Secret values resolved from plugin settings, for the log masking.
        self.secrets = secrets
        self._impls: dict[tuple[str, str], list[pluggy.HookImpl]] = {}
        for hook_name in hook_names:
            caller = getattr(manager.hook, hook_name)
            for impl in caller.get_hookimpls():
                self._impls.setdefault((hook_name, impl.plugin_name), []).append(impl)
        self._plain = {key: not any(_is_async(impl.function) for impl in impls)
                       for key, impls in self._impls.items()}

    def impls(self, hook_name: str, plugin_name: str) -> list[pluggy.HookImpl]:
        """The implementations of ``hook_name`` that ``plugin_name`` registered."""
        return self._impls.get((hook_name, plugin_name), [])

    def plain(self, hook_name: str, plugin_name: str) -> bool:
        """Whether ``plugin_name``'s implementations of ``hook_name`` are all plain functions
        (none is ``async def``): such a call runs to its end at once and cannot be cancelled,
        so a time limit would only cost a timer."""
        return self._plain.get((hook_name, plugin_name), True)

    def implementing(self, hook_name: str) -> list[str]:
        """Enabled plugins implementing ``hook_name``, in call order."""
        return [name for name in self.names if (hook_name, name) in self._impls]


def _is_async(function: object) -> bool:
    """An ``async def`` function, or an object whose ``__call__`` is one."""
    dunder_call = inspect.getattr_static(type(function), "__call__", None)  # a hook object
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(dunder_call)
