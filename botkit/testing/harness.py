"""Run a real bot on a loopback server and talk to it like Meta does.

Besides posting signed webhooks, a :class:`BotRunner` can restart its bot on the same store (the
process goes away, a new one takes over) and fire the conversation timers that are due, so tests
of durable dialogs need neither real processes nor real waiting (see :class:`ManualClock`).
"""

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


class ManualClock:
    """A clock a test moves by hand: pass it as ``clock=`` and call :meth:`advance`.

    The bot reads the time from it for everything it decides by the clock (timers, the 24-hour
    window, handoff TTLs, dedupe), so a 15-minute timeout takes no real time to test. It starts
    at the real time, so that payloads stamped "now" look current to the bot.
    """

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward; returns the new time."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward, not by {seconds} s")
        self.now += seconds
        return self.now


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
        self.settings = settings
        self.extra_plugins = extra_plugins
        self.clock = clock
        self.app = self._new_app()
        self.app_secret = app_secret
        self.server = LiveServer(self.app)
        self.client: httpx.AsyncClient | None = None

    def _new_app(self) -> Any:
        from botkit.app import create_app

        return create_app(self.settings, plugins=self.extra_plugins, clock=self.clock)

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
            self.client = None
        await self.server.__aexit__(*exc)

    async def restart(self) -> None:
        """Stop the bot as a deploy would (dispatch ends, ``shutdown`` hooks run, the store
        closes), then start a new app on the same settings and store: nothing survives in
        memory (``bot.state`` starts empty), only what the store holds. The URL changes."""
        await self.__aexit__(None, None, None)
        self.app = self._new_app()
        self.server = LiveServer(self.app)
        await self.__aenter__()

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
        """Wait until every committed event has been dispatched and its ledger written, and
        every conversation timer due by the bot's clock has fired and been handled."""
        dispatcher = self.app.extensions.get("botkit.dispatcher")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fired = await self.fire_due_timers() if dispatcher is not None else 0
            if dispatcher is not None:
                try:  # a hung plugin must fail the test, not hang it
                    await asyncio.wait_for(dispatcher.wait_idle(),
                                           max(0.01, deadline - time.monotonic()))
                except TimeoutError:
                    break
                # Handlers that ran meanwhile may have set timers that are already due.
                fired += await self.fire_due_timers()
            if not fired and await self.bot.store.pending_count() == 0 and (
                    dispatcher is None or dispatcher.idle):
                return
            await asyncio.sleep(0.01)
        raise TimeoutError(f"events still pending after {timeout:.1f} s")

    async def fire_due_timers(self) -> int:
        """Turn the timers due by the bot's clock into events now, as the bot's own timer loop
        does on its next round; returns how many fired."""
        bot = self.bot
        fired = 0
        while count := await bot.conversations.fire_due_timers(bot.clock()):
            fired += count
            bot.wake_dispatch()
        return fired
