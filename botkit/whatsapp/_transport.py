"""The Graph API transport under :class:`~botkit.whatsapp.client.WhatsAppClient`: settings
checks, the HTTP connection pool, client-side rate limits, tenacity retries and error decoding.

Kept apart from the calls themselves (messages, media) so that every call goes through the one
path that decides what may be resent: a send whose answer was lost is never repeated.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from botkit.telemetry.tracing import NO_TRACING, Tracing
from botkit.whatsapp.errors import (
    AuthError,
    GraphError,
    PairRateLimited,
    classify,
    from_transport_error,
    parse_retry_after,
)
from botkit.whatsapp.media import META_MEDIA_HOSTS
from botkit.whatsapp.ratelimit import Clock, Sleep, pair_limiter, throughput_limiter

logger = logging.getLogger("botkit.whatsapp")

_API_VERSION = re.compile(r"^v\d+\.\d+$")
_PATH_SEGMENT = re.compile(r"^[\w.-]+$")
_RESENDABLE_METHODS = frozenset({"GET", "HEAD", "DELETE"})
T = TypeVar("T")


class GraphTransport:
    """Authenticated, rate-limited, retried calls relative to the configured API version."""

    #: Spans for Graph calls; the bot sets its own (a no-op unless telemetry is on).
    tracing: Tracing = NO_TRACING

    def __init__(
        self,
        *,
        access_token: str | None = None,
        number_tokens: Mapping[str, str] | None = None,
        graph_url: str = "https://graph.facebook.com",
        api_version: str = "v23.0",
        messages_per_second: float = 80.0,
        pair_burst: int = 45,
        pair_interval: float = 6.0,
        max_attempts: int = 5,
        max_retry_seconds: float = 60.0,
        timeout: float = 10.0,
        media_hosts: tuple[str, ...] = META_MEDIA_HOSTS,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        number_tokens = dict(number_tokens or {})
        if (not access_token or not access_token.strip()) and not number_tokens:
            raise ValueError("access_token is empty; set [whatsapp] access_token")
        if any(not token or not token.strip() for token in number_tokens.values()):
            raise ValueError("a number's access token is empty; check [numbers.<id>] "
                             "access_token")
        parts = urlsplit(graph_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"graph_url must be an http(s) URL, got {graph_url!r}")
        if not _API_VERSION.match(api_version):
            raise ValueError(f"api_version must look like 'v23.0', got {api_version!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if messages_per_second <= 0:
            raise ValueError(f"messages_per_second must be positive, got {messages_per_second}")
        self._token = access_token or None
        #: Per business number (phone_number_id), the token its calls carry.
        self._number_tokens = number_tokens
        self._graph_url = graph_url.rstrip("/")
        self._version = api_version
        self._media_hosts = tuple(host.lower().strip(".") for host in media_hosts)
        self._max_attempts = max_attempts
        self._max_retry_seconds = max_retry_seconds
        self._sleep = sleep
        self._backoff = wait_random_exponential(multiplier=0.5, min=0.05, max=30)
        self._throughput = throughput_limiter(messages_per_second, clock=clock, sleep=sleep)
        self._pairs = pair_limiter(pair_burst, pair_interval, clock=clock, sleep=sleep)
        self._http = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": "botkit"}
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def token_for(self, phone_number_id: str | None) -> str:
        """The token for calls on behalf of ``phone_number_id``: the number's own, else the
        client's. :class:`AuthError` when there is neither (a number with no token of its own
        on a client that has no top-level token)."""
        token = self._number_tokens.get(phone_number_id or "") or self._token
        if token is None:
            raise AuthError(f"no access token for business number {phone_number_id or '(none)'}",
                            hint="give the number an access_token in its [numbers.<id>] table, "
                                 "or set [whatsapp] access_token for every number")
        return token

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        token: str | None = None,
        phone_number_id: str | None = None,
    ) -> dict[str, Any]:
        """Any Graph call relative to the API version, e.g. ``("GET", "/{app_id}/subscriptions")``.

        ``token`` replaces the access token (e.g. an app token); ``phone_number_id`` uses that
        business number's token. GET and DELETE are retried when an answer is lost; other
        methods only when the request was certainly never sent.
        """
        method = method.upper()
        path = path if path.startswith("/") else f"/{path}"
        return await self._call(
            method,
            path,
            params=params,
            json=json,
            data=data,
            token=token,
            number=phone_number_id,
            may_resend=method in _RESENDABLE_METHODS,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        may_resend: bool,
        **options: Any,
    ) -> dict[str, Any]:
        """One Graph call (with its retries), as a ``graph.call`` span when tracing is on."""
        with self.tracing.span("graph.call", {"http.request.method": method,
                                               "url.path": path}):
            return await self._call_untraced(method, path, may_resend=may_resend, **options)

    async def _call_untraced(
        self,
        method: str,
        path: str,
        *,
        may_resend: bool,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        token: str | None = None,
        limit: tuple[str, str | None] | None = None,
        number: str | None = None,
    ) -> dict[str, Any]:
        url = f"{self._graph_url}/{self._version}{path}"
        bearer = token or self.token_for(number or (limit[0] if limit else None))
        what = f"{method} {path}"

        async def attempt() -> dict[str, Any]:
            if limit is not None:
                await self._throttle(*limit)
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    files=files,
                    headers={"Authorization": f"Bearer {bearer}"},
                )
            except httpx.TransportError as exc:
                raise from_transport_error(exc, may_resend=may_resend, target=what) from None
            try:
                return self._decode(response, bearer, what)
            except PairRateLimited:
                if limit is not None and limit[1]:
                    self._pairs.drain(limit)
                raise

        return await self._retrying(what)(attempt)

    async def _throttle(self, phone_number_id: str, recipient: str | None) -> None:
        await self._throughput.acquire(phone_number_id)
        if recipient:
            await self._pairs.acquire((phone_number_id, recipient))

    def _decode(self, response: httpx.Response, bearer: str, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not response.is_success:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise classify(
                response.status_code, body, retry_after=retry_after,
                redact=(bearer, self._token or bearer)
            )
        if not isinstance(body, dict):
            raise GraphError(
                f"{what} answered HTTP {response.status_code} with a body that is not a JSON "
                "object; check graph_url",
                http_status=response.status_code,
            )
        return body

    def _retrying(self, what: str) -> Callable[[Callable[[], Awaitable[T]]], Awaitable[T]]:
        return AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts)
            | stop_before_delay(self._max_retry_seconds),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: isinstance(exc, GraphError) and exc.retryable),
            sleep=self._sleep,
            before_sleep=partial(self._log_retry, what),
            reraise=True,
        )

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After when Meta sent one; 4^n seconds for the pair limit (Meta's advice)."""
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)
        if isinstance(exc, PairRateLimited):
            return 4.0 ** (state.attempt_number - 1) * random.uniform(1.0, 1.25)
        return self._backoff(state)

    def _log_retry(self, what: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s failed (attempt %d of %d), retrying in %.2f s: %s",
            what,
            state.attempt_number,
            self._max_attempts,
            state.upcoming_sleep,
            exc,
        )


def segment(value: str) -> str:
    """``value`` when it can stand as one path segment of a Graph URL (an object id)."""
    if not isinstance(value, str) or not _PATH_SEGMENT.match(value):
        raise ValueError(f"id must be a Graph object id (letters, digits, '_.-'), got {value!r}")
    return value
