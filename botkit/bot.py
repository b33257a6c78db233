"""The bot: what every hook receives first. Holds settings, plugins, store and clients."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botkit.conversations.backends import open_conversations
from botkit.conversations.context import current_handling
from botkit.metrics import Stats
from botkit.plugin_config import PluginConfig
from botkit.plugin_set import PluginSet
from botkit.settings import Settings
from botkit.store import Store
from botkit.telemetry.tracing import Tracing, open_tracing
from botkit.validation.events import EventChecker
from botkit.webhook.admission import Backpressure

if TYPE_CHECKING:
    from botkit.conversations.conversation import Conversation
    from botkit.conversations.store import ConversationStore
    from botkit.flows.tokens import FlowTokens
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
        #: Issues and checks the ``flow_token`` of Flows (set when ``[flows]`` has a key).
        self.flow_tokens: FlowTokens | None = None
        self.pressure = Backpressure(
            store, max_backlog=settings.store.max_backlog,
            min_free_bytes=settings.store.min_free_mb * 2**20,
            data_dir=_store_dir(settings.store.url), stats=self.stats, clock=clock)
        self.log = logging.getLogger("botkit")
        #: OpenTelemetry spans when ``[telemetry] enabled`` (else every call is a no-op).
        self.tracing: Tracing = open_tracing(
            settings.telemetry.enabled, service_name=settings.telemetry.service_name,
            otlp_endpoint=settings.telemetry.otlp_endpoint)
        #: Conversation state, timers, outbox and handoff, beside the event log.
        self.conversations: ConversationStore = open_conversations(store)
        #: Conversations a person has, as last read (refreshed about once a second); sends
        #: always check the store itself.
        self.humans: frozenset[str] = frozenset()
        #: Set by the dispatcher while it runs: wakes it to look for new events.
        self.wake_callback: Callable[[], None] | None = None

    async def conversation(self) -> Conversation:
        """The conversation of the event the calling handler is handling, as this plugin sees
        it: dialog state and data, timers, the 24-hour window, handoff.

        Its changes are committed with the plugin's delivery record when the handler returns.
        Raises ``RuntimeError`` outside a handler.
        """
        handling = current_handling.get()
        if handling is None:
            raise RuntimeError("bot.conversation() is only available while a handler runs")
        return await handling.conversation()

    def wake_dispatch(self) -> None:
        """Look for new events now (botkit stored some itself: a timer fired, a handoff)."""
        if self.wake_callback is not None:
            self.wake_callback()

    def config(self, plugin: str, number: str | None = None) -> PluginConfig:
        """The ``[plugins.<plugin>]`` table: validated against the plugin's schema, with its
        ``default`` values filled in and its ``{ env }``/``{ file }`` secrets resolved; read-only.

        With ``[numbers.<id>]`` tables, a number's own table is merged over the top-level one:
        ``number`` picks the business number, and inside a handler it defaults to the number
        that received the event being handled, so a handler reads the settings of its number.
        Raises ``KeyError`` for a plugin that is not enabled (for that number), so a typo fails
        loudly.
        """
        if number is None:
            handling = current_handling.get()
            number = handling.number if handling is not None else None
        try:
            return self.plugins.config(plugin, number)
        except KeyError:
            enabled = self.plugins.names_for(number) if number else self.plugins.top_level
            where = f" for number {number}" if number else ""
            raise KeyError(f"plugin {plugin!r} is not enabled{where}; enabled: "
                           f"{', '.join(enabled) or 'none'}") from None

    def configs(self, plugin: str) -> dict[str | None, PluginConfig]:
        """Every table ``plugin`` runs with, for a plugin that prepares its settings once at
        start-up: ``None`` is the top-level table (when the plugin is enabled there), and each
        business number with a ``[numbers.<id>]`` table that enables it has its merged table."""
        return self.plugins.configs_of(plugin)

    def open_whatsapp(self) -> None:
        """Create the Cloud API client when an access token is configured: the top-level one,
        or a ``[numbers.<id>]`` one (each number's calls carry its own token)."""
        wa = self.settings.whatsapp
        tokens = {number: table.access_token for number, table in self.settings.numbers.items()
                  if table.access_token}
        if (wa.access_token or tokens) and self.whatsapp is None:
            from botkit.conversations.policy import window_policy
            from botkit.whatsapp.client import WhatsAppClient

            self.whatsapp = WhatsAppClient(
                access_token=wa.access_token, number_tokens=tokens, graph_url=wa.graph_url,
                api_version=wa.api_version, messages_per_second=wa.messages_per_second,
                timeout=wa.timeout,
            )
            self.whatsapp.send_policy = window_policy(self)
            self.whatsapp.tracing = self.tracing

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
