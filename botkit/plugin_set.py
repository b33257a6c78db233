"""The enabled plugins of a running bot, in call order, and their implementations by hook.

Kept apart from plugin discovery (:mod:`botkit.plugins`) so that the bot, and the module that
calls hooks, need not import the hook specifications, which name the bot in their types.

With ``[numbers.<id>]`` tables a plugin may be enabled for some business numbers only: every
plugin enabled anywhere is registered once, and :meth:`PluginSet.names_for` says which of them
see the events of a given number, and in which order.
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
                 secrets: tuple[str, ...] = (), *,
                 by_number: Mapping[str, tuple[str, ...]] | None = None,
                 number_configs: Mapping[tuple[str, str], PluginConfig] | None = None,
                 by_account: Mapping[str, tuple[str, ...]] | None = None,
                 top_level: tuple[str, ...] | None = None,
                 base_configs: Mapping[str, PluginConfig] | None = None) -> None:
        #: Every plugin enabled for the top level or for any number (start-up hooks, routes).
        self.names = names
        self.manager = manager
        #: Top-level ``[plugins.<name>]`` tables of the plugins enabled at the top level.
        self.configs = dict(configs)
        #: Secret values resolved from plugin settings, for the log masking.
        self.secrets = secrets
        #: The top-level ``enabled_plugins``: what numbers without a list of their own run.
        self.top_level = names if top_level is None else top_level
        self._by_number = dict(by_number or {})
        self._by_account = dict(by_account or {})
        self._number_configs = dict(number_configs or {})
        #: The top-level tables of plugins enabled for some numbers only (see ``config``).
        self._base_configs = dict(base_configs or {})
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

    def implementing(self, hook_name: str, among: Iterable[str] | None = None) -> list[str]:
        """Enabled plugins implementing ``hook_name``, in call order (of ``among`` when given,
        e.g. the plugins of one number)."""
        return [name for name in (self.names if among is None else among)
                if (hook_name, name) in self._impls]

    def names_for(self, number: str | None, account: str | None = None) -> tuple[str, ...]:
        """The plugins that see an event of business number ``number``, in call order.

        An account-level event (no number: template and account updates) goes to the top-level
        plugins and to those of the numbers that declare ``account`` as their ``waba_id``.
        """
        if number:
            return self._by_number.get(number, self.top_level)
        if account:
            return self._by_account.get(account, self.top_level)
        return self.top_level

    def config(self, plugin: str, number: str | None = None) -> PluginConfig:
        """The plugin's settings as ``number`` sees them (its own table merged over the
        top-level one); the top-level table when ``number`` has none. Without a number, a
        plugin enabled for some numbers only gets its top-level table too (its start-up hook
        may need it). ``KeyError`` when the plugin is not enabled there."""
        found = self._number_configs.get((number, plugin)) if number else None
        if found is not None:
            return found
        if number and plugin not in self.names_for(number):
            raise KeyError(plugin)
        if number is None and plugin not in self.configs:
            return self._base_configs[plugin]
        return self.configs[plugin]

    def configs_of(self, plugin: str) -> dict[str | None, PluginConfig]:
        """Every table ``plugin`` runs with: ``None`` for the top level (when it is enabled
        there), and each number with a ``[numbers.<id>]`` table that enables it."""
        found: dict[str | None, PluginConfig] = {}
        if plugin in self.configs:
            found[None] = self.configs[plugin]
        found.update({number: config for (number, name), config in self._number_configs.items()
                      if name == plugin})
        return found


def _is_async(function: object) -> bool:
    """An ``async def`` function, or an object whose ``__call__`` is one."""
    dunder_call = inspect.getattr_static(type(function), "__call__", None)  # a hook object
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(dunder_call)
