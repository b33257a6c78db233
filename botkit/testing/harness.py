"""Run a real bot on a loopback server and talk to it like Meta does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from botkit.settings import Settings
from botkit.testing.live_server import LiveServer
from botkit.testing.signing import encode, signed_headers

APP_SECRET = "test-secret"
VERIFY_TOKEN = "test-verify-token"
ACCESS_TOKEN = "test-access-token"


def make_settings(data_dir: Path, *, enabled_plugins: list[str] | None = None,
                  plugins: Mapping[str, Any] | None = None, **sections: Mapping[str, Any]
                  ) -> Settings:
    """Settings for a test bot: fixed test secrets, a SQLite store in ``data_dir``, and a
    dedupe window wide enough for sample payloads from months ago. Each keyword is a settings
    table merged over these defaults; a ``None`` value removes that key."""
    data: dict[str, Any] = {
        "enabled_plugins": list(enabled_plugins or []),
        "whatsapp": {"verify_token": VERIFY_TOKEN, "app_secret": APP_SECRET,
                     "access_token": ACCESS_TOKEN},
        "store": {"url": f"sqlite:///{Path(data_dir).resolve() / 'botkit.db'}",
                  "dedupe_days": 3650, "durability": "normal"},
        "logging": {"format": "text"},
        "dispatch": {"backoff_initial": 0.01, "backoff_max": 0.05},
    }
    for name, table in sections.items():
        merged = {**data.get(name, {}), **table}
        data[name] = {key: value for key, value in merged.items() if value is not None}
    if plugins:
        data["plugins"] = {name: dict(table) for name, table in plugins.items()}
    return Settings.from_dict(data, env={})


class BotRunner:
    """``async with BotRunner(settings) as bot:`` then ``await bot.post(payload)``.

    ``extra_plugins`` adds plugin objects that are not installed packages, by name.
    """

    def __init__(self, settings: Settings, *, extra_plugins: Mapping[str, Any] | None = None,
                 clock: Callable[[], float] = time.time, app_secret: str = APP_SECRET) -> None:
        from botkit.app import create_app

        self.settings = settings
        self.app = create_app(settings, plugins=extra_plugins, clock=clock)
        self.app_secret = app_secret
        self.server = LiveServer(self.app)
        self.client: httpx.AsyncClient | None = None

    @property
    def bot(self):
        return self.app.extensions["botkit"]

    @property
    def url(self) -> str:
        return self.server.url + self.settings.server.path

    async def __aenter__(self) -> BotRunner:
        await self.server.__aenter__()
        self.client = httpx.AsyncClient(base_url=self.server.url, timeout=30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            await self.client.aclose()
        await self.server.__aexit__(*exc)

    async def post(self, payload: Any, *, secret: str | None = None,
                   headers: Mapping[str, str] | None = None) -> httpx.Response:
        """POST a payload (dict or exact bytes) signed with the app secret, as Meta would."""
        assert self.client is not None
        body = encode(payload)
        sent = {**signed_headers(body, secret or self.app_secret), **(headers or {})}
        return await self.client.post(self.settings.server.path, content=body, headers=sent)

    async def verify(self, **params: str) -> httpx.Response:
        assert self.client is not None
        return await self.client.get(self.settings.server.path, params=params)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every committed event has been dispatched and its ledger written."""
        dispatcher = self.app.extensions.get("botkit.dispatcher")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if dispatcher is not None:
                await dispatcher.wait_idle()
            if await self.bot.store.pending_count() == 0 and (
                    dispatcher is None or dispatcher.idle):
                return
            await asyncio.sleep(0.01)
        raise TimeoutError(f"events still pending after {timeout:.1f} s")
