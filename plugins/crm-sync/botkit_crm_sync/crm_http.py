"""Upserting contact records to a CRM's REST endpoint.

Every request carries an ``Idempotency-Key`` (the event key), so a request repeated after a
lost answer or a retry is applied once by the CRM. Network errors, HTTP 429 and 5xx are retried
here a few times and then by botkit; any other 4xx means the CRM will not take the record, so it
fails permanently at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from botkit import PermanentError

log = logging.getLogger("botkit.crm-sync")
MAX_RETRY_AFTER = 60.0


class CrmUnavailable(Exception):
    """The CRM could not take the record now; trying again later may work."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CrmClient:
    """``await crm.upsert(record, key)``; the credential goes in ``auth_header`` and nowhere
    else (not in logs, not in exceptions)."""

    def __init__(self, url: str, *, auth_header: str = "Authorization",
                 auth_value: str | None = None, timeout: float = 10.0, attempts: int = 3,
                 backoff: float = 0.5) -> None:
        self.url = url
        self.where = _public_url(url)
        self.attempts = attempts
        self.backoff = backoff
        self._auth = {auth_header: auth_value} if auth_value else {}
        self._secret = auth_value
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                       headers={"User-Agent": "botkit-crm-sync"})

    def __repr__(self) -> str:
        return f"CrmClient(url={self.where!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def upsert(self, record: Mapping[str, Any], key: str) -> None:
        """Send ``record``; raises :class:`CrmUnavailable` when the CRM stayed unavailable
        (botkit retries later) or :class:`botkit.PermanentError` when it refused."""
        headers = {**self._auth, "Idempotency-Key": key}
        retrying = AsyncRetrying(stop=stop_after_attempt(self.attempts), wait=self._wait,
                                 retry=retry_if_exception_type(CrmUnavailable), reraise=True,
                                 before_sleep=self._log_retry)
        async for attempt in retrying:
            with attempt:
                try:
                    response = await self._http.post(self.url, json=dict(record),
                                                     headers=headers)
                except httpx.TransportError as exc:
                    raise CrmUnavailable(f"CRM at {self.where} unreachable: "
                                         f"{type(exc).__name__}") from None
                self._check(response, record.get("customer_id"))

    def _check(self, response: httpx.Response, customer_id: Any) -> None:
        status = response.status_code
        if 200 <= status < 300:
            log.debug("contact %s upserted to the CRM (HTTP %d)", customer_id, status)
            return
        detail = f"CRM at {self.where} answered HTTP {status}: {self._snippet(response)}"
        if status == 429 or status >= 500:
            raise CrmUnavailable(detail, _retry_after(response.headers.get("retry-after")))
        raise PermanentError(f"{detail} (contact {customer_id} not upserted; a 4xx answer "
                             "is not retried)")

    def _snippet(self, response: httpx.Response) -> str:
        text = " ".join(response.text[:200].split()) or "(empty body)"
        return text.replace(self._secret, "***") if self._secret else text

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, CrmUnavailable) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        return self.backoff * 2.0 ** (state.attempt_number - 1)

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("CRM upsert failed (attempt %d of %d), retrying: %s",
                    state.attempt_number, self.attempts, exc)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _public_url(url: str) -> str:
    """The URL without credentials or query, safe for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
