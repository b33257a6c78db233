"""Reading the tables of ``botkit.toml`` that need more than their schema: secrets, paths
relative to the settings file, TLS files, networks, the Flows key, the media folder.

Private to :mod:`botkit.settings`, which calls these while it validates itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botkit.secrets import SecretResolver
from botkit.security.checks import check_networks, check_tls_files
from botkit.settings_tables import (
    FlowsSettings,
    MediaSettings,
    SecuritySettings,
    ServerSettings,
    StoreSettings,
    resolve_path,
    split_bind,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


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
    host, port = split_bind(table.pop("bind", "127.0.0.1:8000"))
    for key in ("certfile", "keyfile", "client_ca"):
        if key in table:
            table[key] = str(resolve_path(base_dir, table[key]))
    server = ServerSettings(host=host, port=port, **table)
    security = SecuritySettings.from_table(data.get("security", {}), base_dir)
    same = server.metrics_address == (host, port)
    return server, security, [
        *([f"server.metrics_bind: {server.metrics_bind} is the webhook's own address "
           "(server.bind); give /metrics another port or leave metrics_bind out"] if same else []),
        *([f"server.max_inflight_bytes: {server.max_inflight_bytes} is less than "
           f"server.max_body_bytes ({server.max_body_bytes}); a body of unknown length, or "
           "one larger than the budget, would get 503 every time"]
          if server.max_inflight_bytes < server.max_body_bytes else []),
        *check_tls_files(server.certfile, server.keyfile, server.client_ca),
        *check_networks(allowed_networks=security.allowed_networks,
                        allowed_networks_file=security.allowed_networks_file,
                        trusted_proxies=security.trusted_proxies,
                        client_cn_header=security.client_cn_header,
                        client_ca=server.client_ca),
    ]


def _media_settings(table: Mapping[str, Any], store_url: str, has_token: bool, base_dir: Path
                    ) -> tuple[MediaSettings, list[str]]:
    """``[media]`` with its folder resolved from the settings file's folder. Keeping needs the
    access token (to download), and a folder of its own unless the store is SQLite."""
    folder = table.get("folder")
    settings = MediaSettings(keep=table.get("keep", False),
                             folder=None if folder is None else resolve_path(base_dir, folder),
                             max_bytes=table.get("max_bytes", MediaSettings.max_bytes))
    problems = []
    if settings.keep and not has_token:
        problems.append("media.keep: keeping media needs whatsapp.access_token to download "
                        "the files")
    if settings.keep and folder is None and not store_url.startswith("sqlite:"):
        problems.append("media.folder: required when media.keep is true and the store is not "
                        "SQLite (a folder every botkit process can write)")
    return settings, problems
