"""Settings: ``botkit.toml`` plus secrets from the environment, validated before use."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from botkit._settings_parsing import (
    _flows_settings,
    _media_settings,
    _network_settings,
    _store_settings,
)
from botkit.errors import SettingsError
from botkit.secrets import SecretResolver
from botkit.settings_numbers import NumberSettings, merged_table, read_numbers, union_of_plugins
from botkit.settings_tables import (
    ConversationsSettings,
    DispatchSettings,
    FlowsSettings,
    LoggingSettings,
    MediaSettings,
    SecuritySettings,
    ServerSettings,
    StoreSettings,
    TelemetrySettings,
    WhatsAppSettings,
)
from botkit.validation.problems import packaged_validator, problems

CONFIG_ENV = "BOTKIT_CONFIG"
DEFAULT_SETTINGS = "default.toml"


@dataclass(frozen=True)
class Settings:
    """Everything botkit reads from its settings file, resolved and checked."""

    whatsapp: WhatsAppSettings
    enabled_plugins: tuple[str, ...] = ()
    server: ServerSettings = field(default_factory=ServerSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    conversations: ConversationsSettings = field(default_factory=ConversationsSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    #: ``[flows]``, or None when the settings have no such table (no Flows endpoint).
    flows: FlowsSettings | None = None
    plugins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: ``[numbers.<phone_number_id>]`` tables: numbers with their own token, plugins, settings.
    numbers: Mapping[str, NumberSettings] = field(default_factory=dict)
    source: str = "<dict>"
    #: Where relative paths in the settings start from (the settings file's folder).
    base_dir: Path = field(default_factory=Path.cwd)
    #: False when loaded with ``secrets=False``: plugin secrets then need not resolve either.
    secrets_resolved: bool = True
    #: The environment secrets were read from; plugin secrets are read from it too.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], env: Mapping[str, str] | None = None, *,
                  secrets: bool = True) -> Settings:
        """Read a TOML settings file; relative ``file`` secrets resolve from its folder."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError([f"{path}: no such settings file"]) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError([f"{path}: not valid TOML: {exc}"]) from None
        return cls.from_dict(data, env, base_dir=path.parent, source=str(path), secrets=secrets)

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None, *, secrets: bool = True
                ) -> Settings:
        """The embedded default settings (secrets from the environment)."""
        text = resources.files("botkit").joinpath(DEFAULT_SETTINGS).read_text(encoding="utf-8")
        return cls.from_dict(tomllib.loads(text), env, source="<embedded default>",
                             secrets=secrets)

    @classmethod
    def load(cls, path: str | None = None, env: Mapping[str, str] | None = None, *,
             secrets: bool = True) -> Settings:
        """The file given, else ``$BOTKIT_CONFIG``, else the embedded default.

        ``secrets=False`` is for commands that only read the store or a plugin's files: secrets
        that cannot be resolved are left empty instead of being an error.
        """
        env = os.environ if env is None else env
        path = path or env.get(CONFIG_ENV)
        if path:
            return cls.from_file(path, env, secrets=secrets)
        return cls.default(env, secrets=secrets)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], env: Mapping[str, str] | None = None, *,
                  base_dir: Path | None = None, source: str = "<dict>",
                  secrets: bool = True) -> Settings:
        """Validate ``data`` against the settings schema, resolve secrets, collect every problem.

        With ``secrets=False`` unresolvable secrets are left empty rather than reported.
        """
        env = os.environ if env is None else env
        found = problems(packaged_validator("settings"), data)
        if found:
            raise SettingsError(found)
        resolver = SecretResolver(env, base_dir or Path.cwd(), required=secrets)
        wa = data["whatsapp"]
        given_secrets = wa.get("app_secrets") or [wa.get("app_secret")]
        app_secrets = tuple(
            s for i, raw in enumerate(given_secrets)
            if (s := resolver.resolve(raw, f"whatsapp.app_secrets[{i}]"
                                      if "app_secrets" in wa else "whatsapp.app_secret"))
        )
        verify_token = resolver.resolve(wa["verify_token"], "whatsapp.verify_token")
        access_token = resolver.resolve(wa.get("access_token"), "whatsapp.access_token",
                                        optional=True)
        store, store_problems = _store_settings(data.get("store", {}), env,
                                                base_dir or Path.cwd())
        server, security, network_problems = _network_settings(data, base_dir or Path.cwd())
        flows, flows_problems = _flows_settings(data.get("flows"), resolver, server.path)
        numbers = read_numbers(data.get("numbers", {}), resolver)
        has_token = "access_token" in wa or any(n.access_token for n in numbers.values())
        media, media_problems = _media_settings(data.get("media", {}), store.url, has_token,
                                                base_dir or Path.cwd())
        if (resolver.problems or network_problems or store_problems or flows_problems
                or media_problems):
            raise SettingsError(resolver.problems + store_problems + network_problems
                                + flows_problems + media_problems)
        return cls(
            whatsapp=WhatsAppSettings(
                verify_token=verify_token or "", app_secrets=app_secrets,
                access_token=access_token,
                **{k: wa[k] for k in ("graph_url", "api_version", "messages_per_second",
                                      "timeout", "waba_id", "phone_number_id") if k in wa},
            ),
            enabled_plugins=tuple(data.get("enabled_plugins", ())),
            server=server,
            security=security,
            store=store,
            dispatch=DispatchSettings(**data.get("dispatch", {})),
            conversations=ConversationsSettings(**data.get("conversations", {})),
            media=media,
            telemetry=TelemetrySettings(**data.get("telemetry", {})),
            logging=LoggingSettings(**data.get("logging", {})),
            flows=flows,
            plugins={name: dict(table) for name, table in data.get("plugins", {}).items()},
            numbers=numbers,
            source=source,
            base_dir=base_dir or Path.cwd(),
            secrets_resolved=secrets,
            env=env,
        )

    def number(self, number: str | None) -> NumberSettings | None:
        """The ``[numbers.<number>]`` table, or None (no number, or one without a table)."""
        return self.numbers.get(number) if number else None

    def plugin_config(self, name: str, number: str | None = None) -> dict[str, Any]:
        """The ``[plugins.<name>]`` table (empty when absent); for a ``number`` with a table,
        its ``[numbers.<number>.plugins.<name>]`` merged over it."""
        table = dict(self.plugins.get(name, {}))
        own = self.number(number)
        override = own.plugins.get(name) if own is not None else None
        return merged_table(table, override) if override else table

    @property
    def all_enabled_plugins(self) -> tuple[str, ...]:
        """Every plugin enabled for the top level or for a number, top-level ones first."""
        return union_of_plugins(self.enabled_plugins, self.numbers)

    def enabled_for(self, number: str | None) -> tuple[str, ...]:
        """The plugins that see the events of business number ``number``, in call order."""
        own = self.number(number)
        if own is not None and own.enabled_plugins is not None:
            return own.enabled_plugins
        return self.enabled_plugins

    def access_token_for(self, number: str | None) -> str | None:
        """The token Graph calls for ``number`` use: its own, else the top-level one."""
        own = self.number(number)
        return (own.access_token if own else None) or self.whatsapp.access_token

    def fallback_for(self, number: str | None) -> tuple[str, str] | None:
        """(template name, language) sent outside the 24-hour window for ``number``: its own
        ``fallback_template``, else ``[conversations] fallback_template``; None when neither."""
        own = self.number(number)
        conversations = self.conversations
        if own is not None and own.fallback_template:
            return own.fallback_template, own.fallback_language or conversations.fallback_language
        if conversations.fallback_template:
            return conversations.fallback_template, conversations.fallback_language
        return None

    def waba_for(self, number: str | None) -> str | None:
        """The WhatsApp Business Account of ``number``: its own ``waba_id``, else the top-level
        ``[whatsapp] waba_id``."""
        own = self.number(number)
        return (own.waba_id if own else None) or self.whatsapp.waba_id
