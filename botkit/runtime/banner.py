"""What a person starting a bot needs to see once it is ready: where the webhook is, where its
verify token comes from, which store and plugins it runs with, and what to try next.

At a terminal this is a short block of aligned lines; anywhere else (a pipe, a service manager's
journal) it is one ``botkit ready`` log record with the same facts as fields. Secrets never
appear: the verify token is named by where it comes from, and a store URL loses its password.
"""

from __future__ import annotations

import logging
import sys
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from botkit._logging import is_terminal, wants_colour
from botkit.settings import DEFAULT_SETTINGS, ServerSettings, Settings

log = logging.getLogger("botkit")

NEXT_STEP = "botkit send-test --text hello"
META_GRAPH_URL = "https://graph.facebook.com"
# Binds that listen everywhere are reached from this machine through loopback.
_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def webhook_url(server: ServerSettings) -> str:
    """The URL this machine reaches the webhook at (a wildcard bind becomes loopback)."""
    host = _LOOPBACK.get(server.host, server.host)
    host = f"[{host}]" if ":" in host else host
    scheme = "https" if server.certfile else "http"
    return f"{scheme}://{host}:{server.port}{server.path}"


def secret_origin(settings: Settings, key: str) -> str:
    """Where ``[whatsapp] <key>`` comes from, never its value: ``$NAME``, ``file <path>``,
    or "written in <settings file>" for a literal."""
    raw = _whatsapp_table(settings).get(key)
    if isinstance(raw, Mapping) and isinstance(raw.get("env"), str):
        return f"${raw['env']}"
    if isinstance(raw, Mapping) and isinstance(raw.get("file"), str):
        return f"file {raw['file']}"
    if isinstance(raw, str):
        return f"written in {settings.source}"
    return "given in code"


def _whatsapp_table(settings: Settings) -> Mapping[str, Any]:
    """The raw ``[whatsapp]`` table of the settings' source (the values are not resolved)."""
    try:
        if settings.source == "<embedded default>":
            text = resources.files("botkit").joinpath(DEFAULT_SETTINGS).read_text("utf-8")
        elif settings.source.startswith("<"):
            return {}
        else:
            text = Path(settings.source).read_text(encoding="utf-8")
        table = tomllib.loads(text).get("whatsapp", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return table if isinstance(table, Mapping) else {}


def store_location(url: str) -> str:
    """The store's scheme and where it is, without a user name, password or query:
    ``sqlite botkit-data/botkit.db``, ``redis 10.0.0.5:6379/0``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return f"sqlite {parts.path[1:]}"
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme} {host}{port}{parts.path}"


def ready_facts(settings: Settings, plugins: Sequence[str]) -> dict[str, str]:
    """The facts of the banner, in the order shown."""
    facts = {
        "webhook": webhook_url(settings.server),
        "verify token": f"from {secret_origin(settings, 'verify_token')}",
        "store": store_location(settings.store.url),
        "plugins": ", ".join(plugins) or "none enabled",
    }
    graph = settings.whatsapp.graph_url.rstrip("/")
    if graph != META_GRAPH_URL:
        facts["graph api"] = graph
    if not settings.whatsapp.access_token:
        facts["replies"] = "off: no [whatsapp] access_token"
    facts["next"] = f"{NEXT_STEP}   (in another terminal)"
    return facts


def announce_ready(settings: Settings, plugins: Sequence[str], *,
                   stream: TextIO | None = None) -> None:
    """Say once that the bot is ready: a block of lines on a terminal, else one log record."""
    stream = sys.stderr if stream is None else stream
    facts = ready_facts(settings, plugins)
    if not is_terminal(stream):
        log.info("botkit ready", extra={key.replace(" ", "_"): value
                                        for key, value in facts.items() if key != "next"})
        return
    bold, dim, reset = ("\033[1m", "\033[2m", "\033[0m") if wants_colour(stream) else ("",) * 3
    width = max(map(len, facts))
    lines = [f"\n{bold}botkit is ready{reset}"]
    lines += [f"  {dim}{key:<{width}}{reset}  {value}" for key, value in facts.items()]
    stream.write("\n".join(lines) + "\n\n")
    stream.flush()
