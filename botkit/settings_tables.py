"""The tables of ``botkit.toml``, one frozen dataclass each, with their defaults.

:mod:`botkit.settings` reads and checks the file and builds these; they live here so that the
reading and the shapes each stay small. Import them from :mod:`botkit.settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botkit.security.names import META_CLIENT_CN

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


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
    phone_number_id: str | None = None


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/webhook"
    server: str = "uvicorn"
    max_body_bytes: int = 3 * 1024 * 1024
    body_timeout: float = 10.0
    #: A connection that has not sent a whole request head by then is closed (slowloris).
    header_timeout: float = 10.0
    max_inflight_bytes: int = 256 * 1024 * 1024
    #: ``HOST:PORT`` serving ``/metrics`` on its own (then not on the webhook's address).
    metrics_bind: str | None = None
    # HTTPS and mutual TLS (paths resolved from the settings file's folder); see botkit.security.tls
    certfile: str | None = None
    keyfile: str | None = None
    client_ca: str | None = None
    client_cn: str = META_CLIENT_CN

    @property
    def metrics_address(self) -> tuple[str, int] | None:
        """``metrics_bind`` as (host, port), or None when ``/metrics`` stays on ``bind``."""
        return split_bind(self.metrics_bind) if self.metrics_bind else None


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
            return cls(allowed_networks_file=str(resolve_path(base_dir, allowed["file"])),
                       recheck_seconds=float(allowed.get("recheck_seconds", 5.0)), **common)
        return cls(allowed_networks=tuple(allowed) if allowed is not None else None, **common)


@dataclass(frozen=True)
class StoreSettings:
    url: str = field(default="sqlite:///botkit-data/botkit.db", repr=False)
    durability: str = "full"
    dedupe_days: float = 8.0
    max_backlog: int = 1_000_000
    min_free_mb: int = 256
    #: Quarantined items and dead letters are kept this long, then purged.
    quarantine_days: float = 30.0
    dead_letter_days: float = 30.0
    #: How often dispatching processes purge what is past its retention.
    purge_interval_seconds: float = 300.0

    @property
    def dedupe_seconds(self) -> float:
        return self.dedupe_days * 86400

    @property
    def quarantine_seconds(self) -> float:
        return self.quarantine_days * 86400

    @property
    def dead_letter_seconds(self) -> float:
        return self.dead_letter_days * 86400


@dataclass(frozen=True)
class DispatchSettings:
    concurrency: int = 32
    max_attempts: int = 5
    max_retry_seconds: float = 300.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    batch_size: int = 500
    #: How long one plugin call may take before it counts as a failed attempt.
    plugin_timeout: float = 60.0
    #: Per-plugin overrides of ``plugin_timeout``, by plugin name.
    plugin_timeouts: Mapping[str, float] = field(default_factory=dict)

    def timeout_for(self, plugin: str) -> float:
        """The time limit of one call of ``plugin``."""
        return float(self.plugin_timeouts.get(plugin, self.plugin_timeout))


@dataclass(frozen=True)
class ConversationsSettings:
    """``[conversations]``: handoff to people and conversation timers."""

    #: A handoff goes back to the bot after this long unless given its own TTL (None: never).
    handoff_ttl_seconds: float | None = 86400.0
    #: How often due timers are looked for, at the longest.
    timer_poll_seconds: float = 1.0
    #: A reply the business sends from the WhatsApp Business app hands the conversation over.
    business_app_handoff: bool = True
    #: The template sent instead of a free-form message outside the 24-hour window (None:
    #: such a message is refused with WindowClosed unless it carries its own fallback).
    fallback_template: str | None = None
    fallback_language: str = "en_US"


@dataclass(frozen=True)
class MediaSettings:
    """``[media]``: keeping the files of inbound media messages (docs/media.md)."""

    #: Download each inbound image, video, audio, document and sticker once and keep it.
    keep: bool = False
    #: Where kept files go; None: ``media/`` beside a SQLite store's file.
    folder: Path | None = None
    #: The largest file kept, in bytes (Meta's largest media file is 100 MB).
    max_bytes: int = 100 * 2**20


@dataclass(frozen=True)
class TelemetrySettings:
    """``[telemetry]``: OpenTelemetry traces (needs the ``botkit[otel]`` extra)."""

    enabled: bool = False
    service_name: str = "botkit"
    #: The OTLP/HTTP traces endpoint; None: OpenTelemetry's default (or its environment).
    otlp_endpoint: str | None = None


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
    #: "auto": readable text in a terminal, JSON otherwise.
    format: str = "auto"


def resolve_path(base_dir: Path, path: str) -> Path:
    resolved = Path(path).expanduser()
    return resolved if resolved.is_absolute() else base_dir / resolved


def split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]"), int(port)
