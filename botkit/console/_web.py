"""What every console view shares: pages, redirects, cookies, flash notes, store access.

Store work is blocking (the admin interface and the read-only queries open connections of their
own), so it runs in a worker thread, with a connection opened and closed for each request: the
console is used by a few people at a time and must never hold up the webhook.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from quart import Quart, Response, g, request

from botkit.console._render import Redactor, make_environment
from botkit.console.auth import LoginLimiter, Session, SessionKeeper
from botkit.console.queries import Overview, StoreQueries, open_queries
from botkit.console.settings import ConsoleSettings
from botkit.store import open_admin
from botkit.store.admin import StoreAdmin
from botkit.timeline import TimelineReader, open_reader

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.console")

T = TypeVar("T")

SESSION_COOKIE = "botkit_console"
FLASH_COOKIE = "botkit_console_flash"
FLASH_SECONDS = 120
OVERVIEW_CACHE_SECONDS = 3.0
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class ConsoleWeb:
    """The console of one app: its settings, sessions, templates and the way to the store."""

    def __init__(self, app: Quart, bot: Bot, settings: ConsoleSettings) -> None:
        if not settings.token:
            raise ValueError("the console needs a token")
        self.app = app
        self.bot = bot
        self.settings = settings
        self.base = settings.path
        self.keeper = SessionKeeper(settings.token, settings.session_minutes, clock=bot.clock)
        self.limiter = LoginLimiter(settings.max_failed_logins_per_minute)
        whatsapp = bot.settings.whatsapp
        number_tokens = [table.access_token for table in bot.settings.numbers.values()]
        self.redact = Redactor([whatsapp.access_token, *whatsapp.app_secrets,
                                whatsapp.verify_token, settings.token, *number_tokens])
        self.env = make_environment(self.redact)
        self._overview: tuple[float, Overview] | None = None

    # -- responses -------------------------------------------------------------------------

    def page(self, template: str, status: int = 200, **context: Any) -> Response:
        """A rendered page; the pending flash note (if any) is shown once and dropped."""
        note = self.keeper.unseal(request.cookies.get(FLASH_COOKIE))
        kind, _, text = (note or "").partition("|")
        flash = {"kind": kind, "text": text} if note else None
        session: Session | None = getattr(g, "console_session", None)
        context.setdefault("section", "")
        html = self.env.get_template(template).render(
            base=self.base, session=session, flash=flash, here=self.here(), **context)
        response = Response(html, status=status, content_type="text/html; charset=utf-8")
        if FLASH_COOKIE in request.cookies:
            response.delete_cookie(FLASH_COOKIE, path=self.base)
        return response

    def error_page(self, status: int, title: str, message: str) -> Response:
        return self.page("error.html", status, title=title, message=message, code=status)

    def redirect(self, location: str, note: tuple[str, str] | None = None) -> Response:
        """303 to ``location``, carrying a flash note (``ok`` or ``error``, text) if given."""
        response = Response("", 303, headers={"Location": location})
        if note is not None:
            response.set_cookie(FLASH_COOKIE, self.keeper.seal(f"{note[0]}|{note[1]}"),
                                max_age=FLASH_SECONDS, **self.cookie_flags())
        return response

    def cookie_flags(self) -> dict[str, Any]:
        return {"path": self.base, "httponly": True, "samesite": "Strict",
                "secure": request.scheme in ("https", "wss")}

    def here(self) -> str:
        """The current console URL (path and query), to come back to after an action."""
        query = request.query_string.decode("latin-1")
        return request.path + (f"?{query}" if query else "")

    def back_to(self, target: str | None, default: str) -> str:
        """``target`` when it is a page of this console, else ``default``: forms say where
        to return, and nobody may turn that into a redirect to another site."""
        if (target and target.isprintable() and "\\" not in target and "//" not in target
                and (target == self.base or target.startswith((self.base + "/",
                                                               self.base + "?")))):
            return target
        return default

    # -- the store ---------------------------------------------------------------------------

    async def with_admin(self, action: Callable[[StoreAdmin], T]) -> T:
        """Run ``action`` with the store's admin interface, the same one the CLI uses."""
        def run() -> T:
            admin = open_admin(self.bot.settings.store)
            try:
                return action(admin)
            finally:
                admin.close()

        return await asyncio.to_thread(run)

    async def with_queries(self, action: Callable[[StoreQueries], T]) -> T:
        def run() -> T:
            queries = open_queries(self.bot.settings.store.url)
            try:
                return action(queries)
            finally:
                queries.close()

        return await asyncio.to_thread(run)

    async def with_timelines(self, action: Callable[[TimelineReader], T]) -> T:
        """Run ``action`` with a read-only conversation reader of the store (the same one
        ``botkit conversation show`` uses)."""
        def run() -> T:
            with open_reader(self.bot.settings.store.url) as reader:
                return action(reader)

        return await asyncio.to_thread(run)

    async def overview(self) -> Overview:
        """The store's overview, computed at most every few seconds however many tabs ask."""
        now = self.bot.clock()
        cached = self._overview
        if cached is not None and 0 <= now - cached[0] < OVERVIEW_CACHE_SECONDS:
            return cached[1]
        found = await self.with_queries(lambda queries: queries.overview(now))
        self._overview = (now, found)
        return found

    def forget_overview(self) -> None:
        self._overview = None

    def nudge_dispatch(self) -> None:
        """Events handed back to dispatch sit behind the dispatcher's read position; have it
        look again now instead of at its next periodic pass."""
        self.bot.store.rewind()
        dispatcher = self.app.extensions.get("botkit.dispatcher")
        wake = getattr(dispatcher, "wake", None)
        if callable(wake):
            wake()
        self.forget_overview()
