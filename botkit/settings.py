"""Settings: ``botkit.toml`` plus secrets from the environment, validated before use."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from botkit.errors import SettingsError
from botkit.secrets import SecretResolver
from botkit.security.checks import check_networks, check_tls_files
from botkit.security.names import META_CLIENT_CN
from botkit.validation.problems import packaged_validator, problems

CONFIG_ENV = "BOTKIT_CONFIG"
DEFAULT_SETTINGS = "default.toml"


@dataclass(frozen=True)
class WhatsAppSettings:
    verify_token: str = field(repr=False)
    app_secrets: tuple[str, ...] = field(repr=False)
    access_token: str | None = field(default=None, repr=False)
    graph_url: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    messages_per_second: float = 80.0
    timeout: float = 10.0


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/webhook"
    server: str = "uvicorn"
    max_body_bytes: int = 3 * 1024 * 1024
    body_timeout: float = 30.0
    max_inflight_bytes: int = 256 * 1024 * 1024
    # HTTPS and mutual TLS (paths resolved from the settings file's folder); see botkit.security.tls
    certfile: str | None = None
    keyfile: str | None = None
    client_ca: str | None = None
    client_cn: str = META_CLIENT_CN


@dataclass(frozen=True)
class SecuritySettings:
    """Who may reach the webhook path (see botkit.allowlist); by default anyone may."""

    allowed_networks: tuple[str, ...] | None = None
    allowed_networks_file: str | None = None
    recheck_seconds: float = 5.0
    trusted_proxies: tuple[str, ...] = ()
    client_cn_header: str | None = None

    @classmethod
    def from_table(cls, table: Mapping[str, Any], base_dir: Path) -> SecuritySettings:
        common = {"trusted_proxies": tuple(table.get("trusted_proxies", ())),
                  "client_cn_header": table.get("client_cn_header")}
        allowed = table.get("allowed_networks")
        if isinstance(allowed, Mapping):
            return cls(allowed_networks_file=str(_resolve_path(base_dir, allowed["file"])),
                       recheck_seconds=float(allowed.get("recheck_seconds", 5.0)), **common)
        return cls(allowed_networks=tuple(allowed) if allowed is not None else None, **common)


@dataclass(frozen=True)
class StoreSettings:
    url: str = field(default="sqlite:///botkit-data/botkit.db", repr=False)
    durability: str = "full"
    dedupe_days: float = 8.0
    max_backlog: int = 1_000_000
    min_free_mb: int = 256

    @property
    def dedupe_seconds(self) -> float:
        return self.dedupe_days * 86400


@dataclass(frozen=True)
class DispatchSettings:
    concurrency: int = 32
    max_attempts: int = 5
    max_retry_seconds: float = 300.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    batch_size: int = 500


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"
    format: str = "json"


@dataclass(frozen=True)
class Settings:
    """Everything botkit reads from its settings file, resolved and checked."""

    whatsapp: WhatsAppSettings
    enabled_plugins: tuple[str, ...] = ()
    server: ServerSettings = field(default_factory=ServerSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    plugins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
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
        if resolver.problems or network_problems or store_problems:
            raise SettingsError(resolver.problems + store_problems + network_problems)
        return cls(
            whatsapp=WhatsAppSettings(
                verify_token=verify_token or "", app_secrets=app_secrets,
                access_token=access_token,
                **{k: wa[k] for k in ("graph_url", "api_version", "messages_per_second",
                                      "timeout") if k in wa},
            ),
            enabled_plugins=tuple(data.get("enabled_plugins", ())),
            server=server,
            security=security,
            store=store,
            dispatch=DispatchSettings(**data.get("dispatch", {})),
            logging=LoggingSettings(**data.get("logging", {})),
            plugins={name: dict(table) for name, table in data.get("plugins", {}).items()},
            source=source,
            base_dir=base_dir or Path.cwd(),
            secrets_resolved=secrets,
            env=env,
        )

    def plugin_config(self, name: str) -> dict[str, Any]:
        """The ``[plugins.<name>]`` table (empty when absent)."""
        return dict(self.plugins.get(name, {}))


def _store_settings(table: Mapping[str, Any], env: Mapping[str, str], base_dir: Path
                    ) -> tuple[StoreSettings, list[str]]:
    """The store table; a URL holding a password may come from the environment or a file."""
    table = dict(table)
    if "url" in table and not isinstance(table["url"], str):
        resolver = SecretResolver(env, base_dir)
        url = resolver.resolve(table["url"], "store.url")
        if resolver.problems:
            return StoreSettings(), resolver.problems
        if not url or not url.startswith(("sqlite://", "redis://", "rediss://")):
            return StoreSettings(), ["store.url: the URL must start with sqlite://, redis:// "
                                     "or rediss://"]
        table["url"] = url
    return StoreSettings(**table), []


def _network_settings(data: Mapping[str, Any], base_dir: Path
                      ) -> tuple[ServerSettings, SecuritySettings, list[str]]:
    """``[server]`` and ``[security]``, with TLS files and networks checked (all problems)."""
    table = dict(data.get("server", {}))
    host, port = _split_bind(table.pop("bind", "127.0.0.1:8000"))
    for key in ("certfile", "keyfile", "client_ca"):
        if key in table:
            table[key] = str(_resolve_path(base_dir, table[key]))
    server = ServerSettings(host=host, port=port, **table)
    security = SecuritySettings.from_table(data.get("security", {}), base_dir)
    return server, security, [
        *check_tls_files(server.certfile, server.keyfile, server.client_ca),
        *check_networks(allowed_networks=security.allowed_networks,
                        allowed_networks_file=security.allowed_networks_file,
                        trusted_proxies=security.trusted_proxies,
                        client_cn_header=security.client_cn_header,
                        client_ca=server.client_ca),
    ]


def _resolve_path(base_dir: Path, path: str) -> Path:
    resolved = Path(path).expanduser()
    return resolved if resolved.is_absolute() else base_dir / resolved


def _split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)
