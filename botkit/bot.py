"""The bot: what every hook receives first. Holds settings, plugins, store and clients."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botkit.metrics import Stats
from botkit.plugin_config import PluginConfig
from botkit.plugin_set import PluginSet
from botkit.settings import Settings
from botkit.store import Store
from botkit.validation.events import EventChecker
from botkit.webhook.admission import Backpressure

if TYPE_CHECKING:
    from botkit.whatsapp.client import WhatsAppClient


class Bot:
    """Shared state of a running botkit; plugins keep their own state in ``bot.state``."""

    def __init__(self, settings: Settings, plugins: PluginSet, store: Store, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.plugins = plugins
        self.store = store
        self.clock = clock
        self.state: dict[str, Any] = {}
        self.stats = Stats()
        self.validator = EventChecker()
        self.whatsapp: WhatsAppClient | None = None
        self.pressure = Backpressure(
            store, max_backlog=settings.store.max_backlog,
            min_free_bytes=settings.store.min_free_mb * 2**20,
            data_dir=_store_dir(settings.store.url), stats=self.stats, clock=clock)
        self.log = logging.getLogger("botkit")

    def config(self, plugin: str) -> PluginConfig:
        """The ``[plugins.<plugin>]`` table: validated against the plugin's schema, with its
        ``default`` values filled in and its ``{ env }``/``{ file }`` secrets resolved; read-only.

        Raises ``KeyError`` for a plugin that is not enabled, so a typo fails loudly.
        """
        try:
            return self.plugins.configs[plugin]
        except KeyError:
            raise KeyError(f"plugin {plugin!r} is not enabled; enabled: "
                           f"{', '.join(self.plugins.names) or 'none'}") from None

    def open_whatsapp(self) -> None:
        """Create the Cloud API client when an access token is configured."""
        wa = self.settings.whatsapp
        if wa.access_token and self.whatsapp is None:
            from botkit.whatsapp.client import WhatsAppClient

            self.whatsapp = WhatsAppClient(
                access_token=wa.access_token, graph_url=wa.graph_url,
                api_version=wa.api_version, messages_per_second=wa.messages_per_second,
                timeout=wa.timeout,
            )

    async def close_whatsapp(self) -> None:
        if self.whatsapp is not None:
            await self.whatsapp.aclose()
            self.whatsapp = None


def _store_dir(url: str) -> Path | None:
    """The folder of a SQLite store (where free space matters), else ``None``."""
    if not url.startswith("sqlite:"):
        return None
    from botkit.store.sqlite import sqlite_path

    return sqlite_path(url).resolve().parent
