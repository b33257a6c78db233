"""Outbound WhatsApp Cloud API client: validated messages, rate limits and safe retries.

Messages are checked against Meta's documented limits before anything is sent, callers wait on
client-side limiters instead of being rejected, transient failures are retried with tenacity,
and a send whose answer was lost is never repeated (it could reach the user twice).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
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

from botkit.whatsapp import media as _media
from botkit.whatsapp.errors import (
    GraphError,
    OutcomeUnknown,
    PairRateLimited,
    classify,
    from_transport_error,
    parse_retry_after,
)
from botkit.whatsapp.media import (
    MAX_MEDIA_BYTES,
    META_MEDIA_HOSTS,
    MediaDownloadError,
    MediaInfo,
    MediaIntegrityError,
    UntrustedMediaHost,
)
from botkit.whatsapp.messages import (
    MEDIA_KINDS,
    buttons_message,
    checked_text,
    list_message,
    media_message,
)
from botkit.whatsapp.ratelimit import Clock, Sleep, pair_limiter, throughput_limiter

__all__ = [
    "MEDIA_KINDS",
    "MediaDownloadError",
    "MediaInfo",
    "MediaIntegrityError",
    "SendResult",
    "UntrustedMediaHost",
    "WhatsAppClient",
]

logger = logging.getLogger("botkit.whatsapp")

_API_VERSION = re.compile(r"^v\d+\.\d+$")
_PATH_SEGMENT = re.compile(r"^[\w.-]+$")
_RESENDABLE_METHODS = frozenset({"GET", "HEAD", "DELETE"})
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SendResult:
    """Meta accepted the message (acceptance only; delivery arrives later as statuses)."""

    message_id: str
    wa_id: str | None
    user_id: str | None
    message_status: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, data: Mapping[str, Any]) -> SendResult:
        messages = data.get("messages")
        message = messages[0] if isinstance(messages, list) and messages else {}
        if not isinstance(message, Mapping) or not message.get("id"):
            raise OutcomeUnknown(
                "the Graph API answered the send without a message id; the message may or may "
                "not have been sent; watch the statuses webhook",
                hint="watch the statuses webhook",
            )
        contacts = data.get("contacts")
        contact = contacts[0] if isinstance(contacts, list) and contacts else {}
        contact = contact if isinstance(contact, Mapping) else {}
        return cls(
            message_id=str(message["id"]),
            wa_id=contact.get("wa_id"),
            user_id=contact.get("user_id"),
            message_status=message.get("message_status"),
            raw=data,
        )


class WhatsAppClient:
    """Async client for the Cloud API; one per process, shared by every plugin."""

    def __init__(
        self,
        *,
        access_token: str,
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
        if not access_token or not access_token.strip():
            raise ValueError("access_token is empty; set [whatsapp] access_token")
        parts = urlsplit(graph_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"graph_url must be an http(s) URL, got {graph_url!r}")
        if not _API_VERSION.match(api_version):
            raise ValueError(f"api_version must look like 'v23.0', got {api_version!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if messages_per_second <= 0:
            raise ValueError(f"messages_per_second must be positive, got {messages_per_second}")
        self._token = access_token
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

    def __repr__(self) -> str:
        return f"WhatsAppClient(graph_url={self._graph_url!r}, api_version={self._version!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> WhatsAppClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- sending -----------------------------------------------------------------------------

    async def send(
        self,
        phone_number_id: str,
        to: str | None,
        message: Mapping[str, Any],
        *,
        reply_to: str | None = None,
        recipient: str | None = None,
        biz_opaque_callback_data: str | None = None,
    ) -> SendResult:
        """Send ``message`` (``{"type": "text", "text": {...}}`` etc.) from a business number.

        ``to`` is a phone number, ``recipient`` a business-scoped user id (either or both);
        ``reply_to`` quotes an earlier message.
        """
        kind = message.get("type")
        if not isinstance(kind, str) or not isinstance(message.get(kind), Mapping | list):
            raise ValueError(
                "a message needs a 'type' and an object (a list for contacts) under the key "
                "of that type, "
                f"got keys {sorted(message)}"
            )
        if not to and not recipient:
            raise ValueError("a message needs 'to' (phone number) or 'recipient' (user id)")
        if reply_to and kind == "reaction":
            raise ValueError("a reaction cannot be sent as a reply (no context allowed)")
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        if to:
            body["to"] = to
        if recipient:
            body["recipient"] = recipient
        body.update(message)
        if reply_to:
            body["context"] = {"message_id": reply_to}
        if biz_opaque_callback_data is not None:
            body["biz_opaque_callback_data"] = checked_text(
                biz_opaque_callback_data, 512, "biz_opaque_callback_data"
            )
        data = await self._call(
            "POST",
            f"/{_segment(phone_number_id)}/messages",
            json=body,
            may_resend=False,
            limit=(phone_number_id, to or recipient),
        )
        return SendResult.from_response(data)

    async def send_text(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        *,
        reply_to: str | None = None,
        preview_url: bool = False,
    ) -> SendResult:
        text = {"preview_url": preview_url, "body": checked_text(body, 4096, "text body")}
        return await self.send(
            phone_number_id, to, {"type": "text", "text": text}, reply_to=reply_to
        )

    async def send_reaction(
        self, phone_number_id: str, to: str, message_id: str, emoji: str
    ) -> SendResult:
        """React to ``message_id``; an empty ``emoji`` removes the reaction."""
        if not isinstance(emoji, str):
            raise ValueError(f"emoji must be a string, got {type(emoji).__name__}")
        reaction = {"message_id": checked_text(message_id, 256, "reaction message_id"),
                    "emoji": emoji}
        return await self.send(phone_number_id, to, {"type": "reaction", "reaction": reaction})

    async def send_media(
        self,
        phone_number_id: str,
        to: str,
        kind: str,
        *,
        media_id: str | None = None,
        link: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        reply_to: str | None = None,
    ) -> SendResult:
        """Send an image, audio, video, document or sticker by ``media_id`` or by ``link``."""
        message = media_message(kind, media_id, link, caption, filename)
        return await self.send(phone_number_id, to, message, reply_to=reply_to)

    async def send_buttons(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        buttons: Sequence[tuple[str, str]],
        *,
        header: str | Mapping[str, Any] | None = None,
        footer: str | None = None,
        reply_to: str | None = None,
    ) -> SendResult:
        """Up to three reply buttons, each given as ``(id, title)``."""
        message = buttons_message(body, buttons, header, footer)
        return await self.send(phone_number_id, to, message, reply_to=reply_to)

    async def send_list(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        button: str,
        sections: Sequence[Mapping[str, Any]],
        *,
        header: str | None = None,
        footer: str | None = None,
        reply_to: str | None = None,
    ) -> SendResult:
        """A list message; a section is ``{"title", "rows": [{"id", "title", "description"}]}``."""
        message = list_message(body, button, sections, header, footer)
        return await self.send(phone_number_id, to, message, reply_to=reply_to)

    async def send_template(
        self,
        phone_number_id: str,
        to: str,
        name: str,
        language: str,
        components: Sequence[Mapping[str, Any]] | None = None,
        *,
        reply_to: str | None = None,
    ) -> SendResult:
        """An approved template: the only message allowed outside the 24-hour window."""
        template: dict[str, Any] = {
            "name": checked_text(name, 512, "template name"),
            "language": {"code": checked_text(language, 15, "template language code")},
        }
        if components:
            template["components"] = [dict(component) for component in components]
        message = {"type": "template", "template": template}
        return await self.send(phone_number_id, to, message, reply_to=reply_to)

    async def send_location(
        self,
        phone_number_id: str,
        to: str,
        latitude: float,
        longitude: float,
        *,
        name: str | None = None,
        address: str | None = None,
    ) -> SendResult:
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise ValueError(f"location out of range: latitude {latitude}, longitude {longitude}")
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if name is not None:
            location["name"] = checked_text(name, 1000, "location name")
        if address is not None:
            location["address"] = checked_text(address, 1000, "location address")
        return await self.send(phone_number_id, to, {"type": "location", "location": location})

    async def send_contacts(
        self, phone_number_id: str, to: str, contacts: Sequence[Mapping[str, Any]]
    ) -> SendResult:
        """Contact cards; each needs at least ``{"name": {"formatted_name": ...}}``."""
        if not contacts:
            raise ValueError("send_contacts needs at least one contact")
        for index, contact in enumerate(contacts):
            name = contact.get("name") if isinstance(contact, Mapping) else None
            if not isinstance(name, Mapping) or not name.get("formatted_name"):
                raise ValueError(f"contact {index} needs name.formatted_name")
        cards = [dict(contact) for contact in contacts]
        return await self.send(phone_number_id, to, {"type": "contacts", "contacts": cards})

    async def mark_read(
        self, phone_number_id: str, message_id: str, *, typing: bool = False
    ) -> None:
        """Mark an inbound message read; ``typing`` also shows a typing indicator (up to 25 s)."""
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": checked_text(message_id, 256, "message_id"),
        }
        if typing:
            body["typing_indicator"] = {"type": "text"}
        path = f"/{_segment(phone_number_id)}/messages"
        await self._call("POST", path, json=body, may_resend=True, limit=(phone_number_id, None))

    # -- media ------------------------------------------------------------------------------

    async def media_info(self, media_id: str) -> MediaInfo:
        """Where to download a media file; the URL expires within minutes."""
        data = await self._call("GET", f"/{_segment(media_id)}", may_resend=True)
        return MediaInfo.from_response(media_id, data)

    async def download_media(
        self,
        media_id: str,
        dest_dir: Path,
        *,
        sha256: str | None = None,
        max_bytes: int = MAX_MEDIA_BYTES,
    ) -> Path:
        """Download a media file into ``dest_dir`` under a generated name and return its path.

        ``sha256`` is the webhook's value (base64 or hex); the Graph API's own value is checked
        too. On a mismatch the file is deleted and :class:`MediaIntegrityError` is raised.
        """
        expected = [_media.digest_from(sha256)] if sha256 else []
        info = await self.media_info(media_id)
        if info.sha256:
            try:
                expected.append(_media.digest_from(info.sha256))
            except ValueError:
                logger.warning(
                    "media %s: the Graph API sha256 is unreadable; not checked", media_id
                )

        async def attempt() -> Path:
            return await _media.download(
                self._http,
                info,
                Path(dest_dir),
                token=self._token,
                is_trusted=self._is_trusted,
                expected=expected,
                max_bytes=max_bytes,
            )

        return await self._retrying(f"download of media {media_id}")(attempt)

    # -- generic Graph calls ----------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """Any Graph call relative to the API version, e.g. ``("GET", "/{app_id}/subscriptions")``.

        ``token`` replaces the access token (e.g. an app token). GET and DELETE are retried when
        an answer is lost; other methods only when the request was certainly never sent.
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
            may_resend=method in _RESENDABLE_METHODS,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        may_resend: bool,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        token: str | None = None,
        limit: tuple[str, str | None] | None = None,
    ) -> dict[str, Any]:
        url = f"{self._graph_url}/{self._version}{path}"
        bearer = token or self._token
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
                response.status_code, body, retry_after=retry_after, redact=(bearer, self._token)
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

    def _is_trusted(self, url: str) -> bool:
        return _media.is_trusted_url(url, self._graph_url, self._media_hosts)


# -- message builders: Meta's documented limits are checked here, before any request ----------


def _segment(value: str, what: str = "id") -> str:
    if not isinstance(value, str) or not _PATH_SEGMENT.match(value):
        raise ValueError(
            f"{what} must be a Graph object id (letters, digits, '_.-'), got {value!r}"
        )
    return value
