"""Plugin discovery (entry points in group ``botkit``), enabling from settings, config checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from types import ModuleType
from typing import Any

import pluggy
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from botkit import hookspecs
from botkit._logging import mask_secrets
from botkit.errors import PluginError, SettingsError
from botkit.plugin_config import PluginConfig, prepare_config
from botkit.plugin_set import PluginSet
from botkit.settings import Settings

ENTRY_POINT_GROUP = "botkit"
CONFIG_SCHEMA_FILE = "config.schema.json"


@dataclass(frozen=True)
class PluginInfo:
    """An installed plugin as an entry point names it."""

    name: str
    value: str
    distribution: str | None
    version: str | None


def installed_plugins() -> dict[str, PluginInfo]:
    """Every plugin installed in this environment, by entry-point name."""
    found = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        found[ep.name] = PluginInfo(ep.name, ep.value, dist.name if dist else None,
                                    dist.version if dist else None)
    return found


def load_installed() -> list[tuple[str, Any, Exception | None]]:
    """Import every installed plugin: (name, module or None, import error or None)."""
    loaded = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded.append((ep.name, ep.load(), None))
        except Exception as exc:
            loaded.append((ep.name, None, exc))
    return loaded


def config_schema(plugin: Any) -> dict | None:
    """The plugin's settings schema: ``config_schema`` on the object, or ``config.schema.json``
    shipped in its package."""
    schema = getattr(plugin, "config_schema", None)
    if schema is not None:
        return schema
    if isinstance(plugin, ModuleType) and hasattr(plugin, "__path__"):
        resource = resources.files(plugin.__name__).joinpath(CONFIG_SCHEMA_FILE)
        if resource.is_file():
            return json.loads(resource.read_text(encoding="utf-8"))
    return None


def hook_names() -> list[str]:
    """Every hook a plugin may implement, by name."""
    return [name for name in dir(hookspecs) if _is_spec(getattr(hookspecs, name))]


def _is_spec(obj: Any) -> bool:
    return callable(obj) and hasattr(obj, "botkit_spec")


def load_plugins(settings: Settings, extra: Mapping[str, Any] | None = None) -> PluginSet:
    """Load and register the enabled plugins; report every problem together.

    ``extra`` maps names to plugin objects that are not installed as packages (tests, apps).
    Each plugin's table is validated, its secrets resolved (from the settings' environment)
    and its defaults filled in: see :mod:`botkit.plugin_config`. A plugin enabled for some
    ``[numbers.<id>]`` only is loaded too, and each number's merged table is checked with the
    number's path, so ``botkit check`` names every number's problems.
    """
    extra = dict(extra or {})
    entry_points = {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    manager = pluggy.PluginManager("botkit")
    manager.add_hookspecs(hookspecs)
    found: list[str] = []
    secrets: list[str] = []
    loaded: dict[str, Any] = {}
    configs: dict[str, PluginConfig] = {}

    def prepared(name: str, number: str | None) -> PluginConfig:
        config, problems, values = _config(name, loaded[name], settings, number)
        found.extend(problems)
        secrets.extend(values)
        return PluginConfig(config)

    for name, where in _enabled_with_paths(settings):
        plugin = extra.get(name)
        if plugin is None:
            plugin = _load_entry_point(name, entry_points, extra, found, where)
            if plugin is None:
                continue
        loaded[name] = plugin
        if name in settings.enabled_plugins:
            configs[name] = prepared(name, None)
        try:
            manager.register(plugin, name=name)
            manager.check_pending()
        except (ValueError, pluggy.PluginValidationError) as exc:
            found.append(f"plugins.{name}: cannot register: {exc}")
            continue
        if not manager.get_hookcallers(plugin):
            found.append(f"{where}: plugin {name!r} implements no botkit hook, so it "
                         "would never run; mark its hook functions with @hookimpl (see "
                         "`botkit plugins` for the hooks each plugin implements)")
    number_configs = {(number, name): prepared(name, number) for number in settings.numbers
                      for name in settings.enabled_for(number) if name in loaded}
    base_configs = _base_configs(settings, loaded, secrets)
    found.extend(_stray_tables(settings))
    if found:
        raise SettingsError(found)
    mask_secrets(secrets)
    return PluginSet(settings.all_enabled_plugins, manager, configs, hook_names(),
                     tuple(secrets), top_level=settings.enabled_plugins,
                     by_number={number: settings.enabled_for(number)
                                for number in settings.numbers},
                     number_configs=number_configs, by_account=_by_account(settings),
                     base_configs=base_configs)


def _base_configs(settings: Settings, loaded: Mapping[str, Any], secrets: list[str]
                  ) -> dict[str, PluginConfig]:
    """For plugins enabled for some numbers only: the top-level table, when it is valid on its
    own, for code that runs outside any number's event (start-up hooks of process-wide plugins).
    It is only the base of the numbers' tables, so its own problems are not problems."""
    found = {}
    for name, plugin in loaded.items():
        if name in settings.enabled_plugins:
            continue
        config, problems, values = _config(name, plugin, settings)
        if not problems:
            found[name] = PluginConfig(config)
            secrets.extend(values)
    return found


def _enabled_with_paths(settings: Settings) -> list[tuple[str, str]]:
    """Each plugin enabled anywhere, once, with the settings path that first enables it."""
    seen: dict[str, str] = {name: "enabled_plugins" for name in settings.enabled_plugins}
    for number, table in settings.numbers.items():
        for name in table.enabled_plugins or ():
            seen.setdefault(name, f"numbers.{number}.enabled_plugins")
    return list(seen.items())


def _stray_tables(settings: Settings) -> list[str]:
    """Settings given for plugins that are not enabled where they are given."""
    everywhere = set(settings.all_enabled_plugins)
    found = [f"dispatch.plugin_timeouts.{name}: {name!r} is not in enabled_plugins"
             for name in sorted(set(settings.dispatch.plugin_timeouts) - everywhere)]
    found += [f"plugins.{name}: settings given for a plugin that is not in enabled_plugins"
              for name in settings.plugins if name not in everywhere]
    for number, table in settings.numbers.items():
        enabled = settings.enabled_for(number)
        found += [f"numbers.{number}.plugins.{name}: settings given for a plugin that is not "
                  f"enabled for this number ({', '.join(enabled) or 'none is'})"
                  for name in table.plugins if name not in enabled]
    return found


def _by_account(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Per WhatsApp Business Account named by a number: the plugins that see its account-level
    events (the top-level ones, then those of its numbers)."""
    accounts: dict[str, list[str]] = {}
    for number, table in settings.numbers.items():
        if table.waba_id:
            names = accounts.setdefault(table.waba_id, list(settings.enabled_plugins))
            names.extend(n for n in settings.enabled_for(number) if n not in names)
    return {account: tuple(names) for account, names in accounts.items()}


def _load_entry_point(name: str, entry_points: dict, extra: Mapping[str, Any],
                      found: list[str], where: str) -> Any:
    ep = entry_points.get(name)
    if ep is None:
        known = sorted(set(entry_points) | set(extra)) or ["none"]
        found.append(f"{where}: plugin {name!r} is not installed "
                     f"(installed: {', '.join(known)})")
        return None
    try:
        return ep.load()
    except Exception as exc:
        found.append(f"{where}: plugin {name!r} failed to import: "
                     f"{type(exc).__name__}: {exc}")
        return None


def _config(name: str, plugin: Any, settings: Settings, number: str | None = None
            ) -> tuple[dict[str, Any], list[str], list[str]]:
    """The plugin's prepared table (as ``number`` sees it), its problems and the secret values
    it resolved."""
    table = settings.plugin_config(name, number)
    try:
        schema = config_schema(plugin)
    except (OSError, ValueError) as exc:
        return table, [f"plugins.{name}: cannot read the plugin's settings schema: {exc}"], []
    if schema is not None:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise PluginError(f"plugin {name!r} ships an invalid settings schema: "
                              f"{exc.message}") from None
    return prepare_config(name, table, schema, env=settings.env, base_dir=settings.base_dir,
                          resolve_secrets=settings.secrets_resolved,
                          prefix=f"numbers.{number}.plugins.{name}" if number else None)
