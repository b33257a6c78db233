"""The fake Graph API itself: start and stop, what tests read and script, and the router.

The router tries a list of routes, ``(method, path regex, handler)``, in order; see
:mod:`botkit.testing.fake_graph` for how other features add theirs without changing this file.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botkit.testing.fake_graph._http import REASONS, BackgroundServer
from botkit.testing.fake_graph.route import Route
from botkit.testing.fake_graph.routes import DEFAULT_ROUTES
from botkit.testing.fake_graph.state import GraphState, StoredMedia
from botkit.testing.fake_graph.wire import (
    DEFAULT_MESSAGES,
    RecordedRequest,
    Reply,
    graph_error,
    object_missing,
    token_refused,
)

_OBJECT_PATH = re.compile(r"/v\d+\.\d+/(?P<object_id>[^/]*)(?:/[^/]*)?")


@dataclass
class _Fault:
    kind: str  # "fail" or "drop"
    remaining: int
    path_contains: str | None
    reply: Reply | None = None


class FakeGraphAPI:
    """``with FakeGraphAPI(access_token="t") as fake: ...`` then point a client at ``fake.url``.

    ``access_token`` (when set) must be presented as a bearer token, else the answer is 401
    with code 190. Apps (for ``/subscriptions``) and WhatsApp Business Accounts (for
    ``/subscribed_apps``) must be declared with :meth:`add_app` and :meth:`add_waba`.
    ``routes`` are tried after the built-in ones; :attr:`routes` is the whole list, in order.
    A business number declared with :meth:`add_number` has a token of its own: calls on
    ``/{phone_number_id}/...`` must carry it (another valid token gets Meta's code 100 answer,
    as for a number the token cannot see), for tests of several numbers behind one webhook.
    """

    def __init__(
        self,
        *,
        access_token: str | None = None,
        host: str = "127.0.0.1",
        routes: Iterable[Route] = (),
    ) -> None:
        self.access_token = access_token
        self.host = host
        self.url = ""
        self.routes: list[Route] = [*DEFAULT_ROUTES, *routes]
        self.state = GraphState()
        self.requests = self.state.requests  # the same list: what tests read
        self._faults: list[_Fault] = []
        self._delays: list[float] = []
        self._server = BackgroundServer(host, self._answer)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeGraphAPI:
        if self._server.running:
            raise RuntimeError("the fake Graph API is already running")
        self.url = self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeGraphAPI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakeGraphAPI:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.stop)

    # -- inspection ---------------------------------------------------------------------------

    def sent_messages(self, phone_number_id: str | None = None) -> list[dict[str, Any]]:
        """Message bodies the fake accepted, oldest first (not read receipts, not failures)."""
        with self.state.lock:
            return [body for pnid, body in self.state.accepted if phone_number_id in (None, pnid)]

    def read_receipts(self) -> list[dict[str, Any]]:
        """Accepted mark-as-read bodies (with ``typing_indicator`` when one was asked for)."""
        with self.state.lock:
            return list(self.state.receipts)

    def subscriptions(self, app_id: str) -> list[dict[str, Any]]:
        """The app's webhook subscriptions, as ``GET /{app_id}/subscriptions`` lists them."""
        return self.state.app_subscriptions(app_id)

    def subscribed_apps(self, waba_id: str) -> list[dict[str, Any]]:
        return self.state.waba_subscribed_apps(waba_id)

    def wait_for_messages_sync(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until ``count`` messages were accepted; TimeoutError names how many came."""
        state = self.state
        with state.lock:
            if not state.lock.wait_for(lambda: len(state.accepted) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} sent messages within {timeout} s, got {len(state.accepted)}"
                )
            return [body for _, body in state.accepted]

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.wait_for_messages_sync, count, timeout)

    # -- scripting ------------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 400,
        code: int | None = None,
        retry_after: float | None = None,
        message: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next ``count`` requests (whose path contains ``path_contains``) with an error.

        With a ``code`` the body is a Graph error; without one it is a bare HTTP error page, as a
        proxy in front of the Graph API would send.
        """
        headers = [("retry-after", f"{retry_after:g}")] if retry_after is not None else []
        if code is None:
            text = message or f"{status} {REASONS.get(status, 'Error')}"
            reply = Reply(status, text.encode(), "text/html", headers)
        else:
            text = message or DEFAULT_MESSAGES.get(code, "Fake failure")
            reply = graph_error(status, code, text)
            reply.headers.extend(headers)
        with self.state.lock:
            self._faults.append(_Fault("fail", count, path_contains, reply))

    def drop_next(self, count: int = 1, *, path_contains: str | None = None) -> None:
        """Read the next ``count`` requests, record them, then close without any answer."""
        with self.state.lock:
            self._faults.append(_Fault("drop", count, path_contains))

    def delay_next(self, count: int, seconds: float) -> None:
        """Hold the answers to the next ``count`` requests for ``seconds``, then answer normally."""
        with self.state.lock:
            self._delays.extend([seconds] * count)

    def add_media(
        self, media_id: str, content: bytes, mime_type: str, *, download_url: str | None = None
    ) -> None:
        """Serve ``content`` as ``media_id``; ``download_url`` replaces the fake's own URL."""
        with self.state.lock:
            self.state.media[media_id] = StoredMedia(
                content, mime_type, secrets.token_urlsafe(12), download_url
            )

    def add_app(self, app_id: str, app_token: str | None = None) -> None:
        """Declare an app; its ``/subscriptions`` calls need ``app_token`` when one is given."""
        with self.state.lock:
            self.state.apps[app_id] = app_token
            self.state.subscriptions.setdefault(app_id, {})

    def add_number(self, phone_number_id: str, access_token: str, *,
                   waba_id: str | None = None) -> None:
        """Declare a business number whose calls need ``access_token`` (not the fake's own);
        with ``waba_id``, its account's calls (templates, Flows) need that token too."""
        with self.state.lock:
            self.state.number_tokens[phone_number_id] = access_token
            if waba_id is not None:
                self.state.number_tokens[waba_id] = access_token

    def add_waba(self, waba_id: str) -> None:
        with self.state.lock:
            self.state.wabas.setdefault(waba_id, {})

    def reset(self) -> None:
        """Forget recorded traffic, pending faults and subscriptions; keep declared objects."""
        with self.state.lock:
            self.state.forget_traffic()
            self._faults.clear()
            self._delays.clear()

    # -- answering ----------------------------------------------------------------------------

    async def _answer(self, request: RecordedRequest) -> Reply | None:
        with self.state.lock:
            self.state.requests.append(request)
            delay = self._delays.pop(0) if self._delays else 0.0
            fault = self._take_fault(request.path)
        if delay:
            await asyncio.sleep(delay)
        if fault is not None:
            return fault.reply
        return await self._route(request)

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.path_contains is None or fault.path_contains in path:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _route(self, request: RecordedRequest) -> Reply:
        """The first route that matches and answers; then Meta's answers for unknown paths."""
        path = "/" + request.path.strip("/")
        found = _OBJECT_PATH.fullmatch(path)
        # A declared number (or its account) checks its own token instead of the fake's.
        own_token = self.state.number_tokens.get(found["object_id"]) if found else None
        if own_token is not None and (denied := _token_of_another(request, own_token,
                                                                  found["object_id"])):
            return denied
        expected = None if own_token is not None else self.access_token
        for route in self.routes:
            match = route.match(request.method, path)
            if match is None:
                continue
            if route.auth and (denied := token_refused(request, expected)) is not None:
                return denied
            reply = route.handler(self, request, match)
            if inspect.isawaitable(reply):
                reply = await reply
            if reply is not None:
                return reply
        if found is None:
            return graph_error(400, 2500, f"Unknown path components: {request.path}")
        if (denied := token_refused(request, expected)) is not None:
            return denied
        return object_missing(request.method, found["object_id"])


def _token_of_another(request: RecordedRequest, expected: str, object_id: str) -> Reply | None:
    """For a declared number: 401 without a token, Meta's code 100 with another one (the
    token cannot see the number)."""
    if token_refused(request, expected) is None:
        return None
    if request.bearer is None:
        return token_refused(request, expected)
    return object_missing(request.method, object_id)
