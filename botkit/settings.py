"""Settings: ``botkit.toml`` plus secrets from the environment, validated before use."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botkit.errors import SettingsError
from botkit.secrets import SecretResolver
from botkit.security.checks import check_networks, check_tls_files
from botkit.security.names import META_CLIENT_CN
from botkit.validation.problems import packaged_validator, problems

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

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
    waba_id: str | None = None


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
class ConversationsSettings:
    """``[conversations]``: handoff to people and conversation timers."""

    #: A handoff goes back to the bot after this long unless given its own TTL (None: never).
    handoff_ttl_seconds: float | None = 86400.0
    #: How often due timers are looked for, at the longest.
    timer_poll_seconds: float = 1.0
    #: A reply the business sends from the WhatsApp Business app hands the conversation over.
    business_app_handoff: bool = True


@dataclass(frozen=True)
class FlowsSettings:
    """``[flows]``: the WhatsApp Flows endpoint. ``key`` is the private key, loaded and checked
    when the settings are read (None when they were read with ``secrets=False``)."""

    private_key: str = field(repr=False)
    passphrase: str | None = field(default=None, repr=False)
    path: str = "/flows"
    token_ttl_seconds: int = 86400
    key: RSAPrivateKey | None = field(default=None, repr=False, compare=False)


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
    conversations: ConversationsSettings = field(default_factory=ConversationsSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    #: ``[flows]``, or None when the settings have no such table (no Flows endpoint).
    flows: FlowsSettings | None = None
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
        flows, flows_problems = _flows_settings(data.get("flows"), resolver, server.path)
        if resolver.problems or network_problems or store_problems or flows_problems:
            raise SettingsError(resolver.problems + store_problems + network_problems
                                + flows_problems)
        return cls(
            whatsapp=WhatsAppSettings(
                verify_token=verify_token or "", app_secrets=app_secrets,
                access_token=access_token,
                **{k: wa[k] for k in ("graph_url", "api_version", "messages_per_second",
                                      "timeout", "waba_id") if k in wa},
            ),
            enabled_plugins=tuple(data.get("enabled_plugins", ())),
            server=server,
            security=security,
            store=store,
            dispatch=DispatchSettings(**data.get("dispatch", {})),
            conversations=ConversationsSettings(**data.get("conversations", {})),
            logging=LoggingSettings(**data.get("logging", {})),
            flows=flows,
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


RESERVED_PATHS = ("/healthz", "/readyz", "/metrics")


def _flows_settings(table: Mapping[str, Any] | None, resolver: SecretResolver, webhook_path: str
                    ) -> tuple[FlowsSettings | None, list[str]]:
    """``[flows]`` with its secrets resolved and, when secrets are required, the private key
    loaded and checked, so a key that cannot be used stops ``serve`` and ``check`` at once."""
    if table is None:
        return None, []
    problems: list[str] = []
    path = table.get("path", "/flows")
    if path == webhook_path:
        problems.append(f"flows.path: {path} is the webhook's path (server.path); give the "
                        f"Flows endpoint a path of its own")
    elif path in RESERVED_PATHS:
        problems.append(f"flows.path: {path} is one of botkit's own paths "
                        f"({', '.join(RESERVED_PATHS)})")
    before = len(resolver.problems)
    pem = resolver.resolve(table["private_key"], "flows.private_key")
    passphrase = resolver.resolve(table.get("passphrase"), "flows.passphrase")
    settings = FlowsSettings(private_key=_pem_text(pem or ""), passphrase=passphrase, path=path,
                             token_ttl_seconds=table.get("token_ttl_seconds", 86400))
    if not resolver.required or len(resolver.problems) > before or not pem:
        return settings, problems
    key, key_problem = _load_flows_key(settings.private_key, passphrase)
    if key_problem:
        problems.append(key_problem)
    return replace(settings, key=key), problems


def _pem_text(value: str) -> str:
    """A PEM kept in an environment variable often has its line breaks written as ``\\n``:
    turn those into real line breaks when the value has none."""
    if "\n" not in value and "\\n" in value:
        return value.replace("\\n", "\n")
    return value


def _load_flows_key(pem: str, passphrase: str | None) -> tuple[RSAPrivateKey | None, str | None]:
    """The key, or the problem naming the setting to fix; never the key nor the passphrase."""
    # Imported here: only a bot with [flows] pays for it, and botkit.flows never imports
    # settings, so there is no cycle.
    from botkit.flows.keys import (
        FlowKeyError,
        PassphraseRequiredError,
        UnexpectedPassphraseError,
        WrongPassphraseError,
        load_private_key,
    )

    try:
        return load_private_key(pem, passphrase), None
    except (PassphraseRequiredError, WrongPassphraseError, UnexpectedPassphraseError) as exc:
        return None, f"flows.passphrase: {exc}"
    except FlowKeyError as exc:
        return None, f"flows.private_key: {exc}"


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
