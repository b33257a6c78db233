"""The webhook endpoint, handled at the ASGI level in front of the Quart app.

GET answers Meta's verification request; POST checks size and signature, parses, splits,
commits every event durably and only then answers 200. Every other path goes to Quart.
Working below Quart's request machinery keeps the per-request cost of the hot path small.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import orjson

from botkit.errors import StoreError
from botkit.json_codec import from_json
from botkit.webhook.counting import AcceptedCounter
from botkit.webhook.signature import matches as signature_matches
from botkit.webhook.splitting import split_body

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.dispatcher.dispatcher import Dispatcher

log = logging.getLogger("botkit.webhook")

SIGNATURE_HEADER = b"x-hub-signature-256"
SIGNATURE_FORMAT = re.compile(rb"sha256=[0-9a-fA-F]{64}")
TEXT_PLAIN = [(b"content-type", b"text/plain; charset=utf-8")]
RETRY_AFTER_SECONDS = b"5"


class PayloadTooLarge(Exception):
    pass


class WebhookEndpoint:
    """ASGI middleware: owns ``settings.server.path``; passes everything else to ``app``."""

    def __init__(self, app, bot: Bot) -> None:
        self.app = app
        self.bot = bot
        self.dispatcher: Dispatcher | None = None
        server = bot.settings.server
        self.path = server.path
        self.max_body = server.max_body_bytes
        self.body_timeout = server.body_timeout
        self.inflight_budget = server.max_inflight_bytes
        self.inflight = 0
        self.secrets = [s.encode() for s in bot.settings.whatsapp.app_secrets]
        self.verify_token = bot.settings.whatsapp.verify_token.encode()
        self.stats = bot.stats
        self.counter = AcceptedCounter(bot.stats, bot.settings.numbers)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "POST":
            await self.post(scope, receive, send)
        elif method in ("GET", "HEAD"):
            await self.verify(scope, send)
        else:
            await self.answer(send, 405, b"method not allowed",
                              [(b"allow", b"GET, HEAD, POST")])

    # -- responses -------------------------------------------------------------------------

    async def answer(self, send, status: int, body: bytes = b"", headers=(),
                     head: bool = False) -> None:
        self.stats.answered(status)
        await send({"type": "http.response.start", "status": status,
                    "headers": [*TEXT_PLAIN, *headers,
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": b"" if head else body})

    async def reject(self, scope, send, status: int, reason: str, headers=()) -> None:
        """One log line per refused request: why, and who asked; never secrets or bodies."""
        client = scope.get("client") or ("?", 0)
        log.warning("webhook %s %d from %s: %s", scope["method"], status, client[0], reason)
        await self.answer(send, status, reason.encode(), headers)

    # -- GET: verification -----------------------------------------------------------------

    async def verify(self, scope, send) -> None:
        head = scope["method"] == "HEAD"
        query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        repeated = sorted(k for k, v in query.items() if k.startswith("hub.") and len(v) > 1)
        if repeated:
            await self.reject(scope, send, 400, f"parameter given more than once: {repeated[0]}")
            return
        mode = query.get("hub.mode", [None])[0]
        challenge = query.get("hub.challenge", [None])[0]
        token = query.get("hub.verify_token", [None])[0]
        if mode is None or challenge is None:
            missing = "hub.mode" if mode is None else "hub.challenge"
            await self.reject(scope, send, 400, f"missing {missing}")
            return
        if token is None or not hmac.compare_digest(token.encode(), self.verify_token):
            await self.reject(scope, send, 403, "verify token mismatch")
            return
        if mode != "subscribe":
            await self.reject(scope, send, 403, "hub.mode is not subscribe")
            return
        log.info("webhook verification answered")
        await self.answer(send, 200, challenge.encode(), head=head)

    # -- POST: event notifications ---------------------------------------------------------

    async def post(self, scope, receive, send) -> None:
        signature = length = None
        signatures = lengths = 0
        for name, value in scope["headers"]:
            if name == SIGNATURE_HEADER:
                signature = value
                signatures += 1
            elif name == b"content-length":
                length = value
                lengths += 1
        if signatures > 1 or lengths > 1:
            # Which copy would count is up to each hop on the way: refuse rather than guess.
            repeated = "X-Hub-Signature-256" if signatures > 1 else "Content-Length"
            if signatures > 1:
                self.stats.signature_failures.labels("malformed").inc()
            await self.reject(scope, send, 401 if signatures > 1 else 400,
                              f"{repeated} given more than once", [(b"connection", b"close")])
            return
        declared = int(length) if length and length.isdigit() else None
        if declared is not None and declared > self.max_body:
            await self.reject(scope, send, 413, f"body of {declared} bytes is over the "
                              f"{self.max_body} byte limit", [(b"connection", b"close")])
            return
        if signature is None:
            self.stats.signature_failures.labels("missing").inc()
            await self.reject(scope, send, 401, "missing X-Hub-Signature-256")
            return
        if not SIGNATURE_FORMAT.fullmatch(signature):
            self.stats.signature_failures.labels("malformed").inc()
            await self.reject(scope, send, 401, "malformed X-Hub-Signature-256")
            return
        overloaded = self.bot.pressure.reason
        if overloaded is not None:
            await self.reject(scope, send, 503, f"not accepting webhooks now: {overloaded}",
                              [(b"retry-after", RETRY_AFTER_SECONDS)])
            return
        reserve = declared if declared is not None else self.max_body
        if self.inflight + reserve > self.inflight_budget:
            await self.reject(scope, send, 503, "too many request bodies in flight",
                              [(b"retry-after", RETRY_AFTER_SECONDS)])
            return
        self.inflight += reserve
        try:
            await self._post_body(scope, receive, send, signature, declared)
        finally:
            self.inflight -= reserve

    async def _post_body(self, scope, receive, send, signature: bytes, declared) -> None:
        try:
            async with asyncio.timeout(self.body_timeout):
                body = await self.read_body(receive)
        except PayloadTooLarge:
            await self.reject(scope, send, 413, f"body is over the {self.max_body} byte limit",
                              [(b"connection", b"close")])
            return
        except TimeoutError:
            await self.reject(scope, send, 408, "body not received in time",
                              [(b"connection", b"close")])
            return
        except ConnectionError:
            log.info("webhook client went away before sending the body")
            return
        if not self.signed(body, signature):
            self.stats.signature_failures.labels("mismatch").inc()
            await self.reject(scope, send, 403, "signature does not match the body")
            return
        try:
            await self.accept(body)
        except StoreError as exc:
            log.error("webhook POST 503: store cannot commit: %s", exc)
            await self.answer(send, 503, b"store unavailable, retry later",
                              [(b"retry-after", RETRY_AFTER_SECONDS)])
            return
        await self.answer(send, 200)

    async def read_body(self, receive) -> bytes:
        chunks = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionError("client disconnected")
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > self.max_body:
                    raise PayloadTooLarge
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def signed(self, body: bytes, signature: bytes) -> bool:
        """HMAC-SHA256 of the raw bytes under any configured app secret, in constant time."""
        return signature_matches(body, signature, self.secrets)

    async def accept(self, body: bytes) -> None:
        """Parse, split and commit; authentic bodies that cannot be read go to quarantine."""
        tracing = self.bot.tracing
        if not tracing.enabled:
            await self._accept(body, None)
            return
        with tracing.span("webhook.request", {"http.request.body.size": len(body)}):
            await self._accept(body, tracing.current_context())

    async def _accept(self, body: bytes, trace: str | None) -> None:
        store = self.bot.store
        oldest = self.bot.clock() - self.bot.settings.store.dedupe_seconds
        try:
            try:
                doc, exact = orjson.loads(body), True
            except orjson.JSONDecodeError:  # beyond orjson (huge integers, NaN): read exactly;
                doc, exact = from_json(body), False  # such events are read back when claimed
            result = split_body(doc, oldest, raw=body, trace=trace)
        except (orjson.JSONDecodeError, ValueError) as exc:
            reason = f"signed body is not valid JSON: {exc}" if isinstance(
                exc, orjson.JSONDecodeError) else f"signed body cannot be split: {exc}"
            log.warning("webhook POST 200: %s; kept in quarantine", reason)
            await store.quarantine(reason, body)
            self.stats.quarantined.labels("body").inc()
            return
        for reject in result.rejects:
            log.warning("webhook POST 200: %s; kept in quarantine", reject.reason)
            self.stats.quarantined.labels("body").inc()
        if result.stale:
            log.info("webhook POST: %d event(s) older than the dedupe window dropped as stale",
                     result.stale)
            self.stats.stale.inc(result.stale)
        if not result.records and not result.rejects:
            return
        dispatcher = self.dispatcher
        # Events the dispatcher takes from here need not be read back from the store.
        hand_out = exact and dispatcher is not None and dispatcher.has_room()
        with self.bot.tracing.span("store.commit", {"botkit.events": len(result.records)}):
            outcome = await store.append(result.records, result.rejects, hand_out=hand_out)
        if outcome.fresh and dispatcher is not None:
            dispatcher.take(outcome.fresh)
        if outcome.duplicates:
            self.stats.duplicates.inc(outcome.duplicates)
        if outcome.accepted:
            self.bot.pressure.accepted(outcome.accepted)
            self.counter.count(result.records)
            if dispatcher is not None and len(outcome.fresh) < outcome.accepted:
                dispatcher.wake()
