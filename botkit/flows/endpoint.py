"""The Flows data-exchange endpoint: an ASGI app answering Meta's encrypted Flow requests.

Per request: body limit -> ``X-Hub-Signature-256`` over the raw bytes (nothing unsigned is
decrypted) -> replay memory -> decrypt -> ping / error notification / token check and handler ->
encrypted answer. Every refusal is one log line with its status and reason; keys, tokens and
decrypted data never reach the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from botkit.errors import SettingsError
from botkit.flows._http import (
    BodyTooLarge,
    Disconnected,
    Receive,
    Scope,
    Send,
    read_body,
    send_text,
    signature_problem,
)
from botkit.flows._replay import ReplayMemory
from botkit.flows.crypto import FlowRequestError, decrypt_request, encrypt_response
from botkit.flows.handlers import (
    ACTIONS,
    FlowHandlerError,
    FlowHandlers,
    FlowRequest,
    NoFlowHandlerError,
    shown_name,
)
from botkit.flows.metrics import FlowMetrics
from botkit.flows.tokens import FlowTokenClaims, FlowTokenError, FlowTokens

log = logging.getLogger("botkit.flows")
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FlowErrorNotification:
    """The WhatsApp client reporting that our previous answer broke the Flow (for example a
    screen given data it does not declare). ``claims`` is None when the token does not verify."""

    action: str
    screen: str | None
    error: str
    error_message: str | None
    flow_token: str | None
    claims: FlowTokenClaims | None
    version: str


ErrorNotificationHook = Callable[[FlowErrorNotification], Awaitable[None]]


@dataclass
class _Answer:
    status: int
    text: str
    reason: str = ""
    flow: str | None = None
    screen: str | None = None
    action: str | None = None
    remember: bool = False  # an answer a handler or hook produced: replay it, never redo it
    bot_fault: bool = False  # the bot's own mistake (no handler, handler failed): log an error


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


class FlowsEndpoint:
    """Serve Meta's Flows requests for the handlers in ``handlers``.

    Idempotence: a body Meta delivers twice (a client retry after a timeout) gets the same
    encrypted answer and its handler runs once. The memory of answers (body SHA-256 -> answer,
    for ``replay_ttl_seconds``, at most ``replay_max_entries``) is in process memory on purpose:
    Meta holds a Flows endpoint to a response-time limit, and the request path does no disk or
    network work a handler did not ask for. Each request carries a fresh AES key, so only a true
    redelivery can match, and it reaches the same instance or, at worst, runs its handler again.
    """

    def __init__(self, private_key: RSAPrivateKey, app_secrets: Sequence[str],
                 handlers: FlowHandlers, tokens: FlowTokens, clock: Callable[[], float], *,
                 on_error_notification: ErrorNotificationHook | None = None,
                 metrics: FlowMetrics | None = None, context: Any = None,
                 path: str | None = None, max_body_bytes: int = MAX_BODY_BYTES,
                 replay_ttl_seconds: float = 600.0, replay_max_entries: int = 10_000) -> None:
        if not app_secrets or not all(isinstance(s, str) and s for s in app_secrets):
            raise SettingsError(["whatsapp.app_secret: the Flows endpoint needs at least one "
                                 "non-empty app secret to check signatures"])
        self._key = private_key
        self._secrets = [s.encode() for s in app_secrets]
        self.handlers = handlers
        self._tokens = tokens
        self._hook = on_error_notification
        self._metrics = metrics
        self._context = context
        self.path = path
        self._limit = max_body_bytes
        self._replays: ReplayMemory[_Answer] = ReplayMemory(clock, replay_ttl_seconds,
                                                            replay_max_entries)
        self._pending: dict[bytes, asyncio.Future[_Answer]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Wait for error-notification hooks still running."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.path is not None and scope.get("path") != self.path:
            self._refused(404, "not the Flows path")
            await send_text(send, 404, "not found")
            return
        if scope.get("method") != "POST":
            self._refused(405, "method not allowed")
            await send_text(send, 405, "method not allowed", [(b"allow", b"POST")])
            return
        started = time.perf_counter()
        try:
            body = await read_body(scope, receive, self._limit)
        except BodyTooLarge:
            answer = _Answer(413, "body too large", f"body over {self._limit} bytes")
        except Disconnected:
            return
        else:
            problem = signature_problem(scope, body, self._secrets)
            if problem is not None:
                answer = _Answer(432, "signature check failed", problem)
            else:
                answer = await self._once(body)
        if answer.status != 200:
            self._refused(answer.status, answer.reason or answer.text, answer)
        if self._metrics is not None:
            self._metrics.answered(answer.flow, answer.screen, answer.action, answer.status,
                                   time.perf_counter() - started)
        await send_text(send, answer.status, answer.text)

    def _refused(self, status: int, reason: str, answer: _Answer | None = None) -> None:
        where = ""
        if answer is not None and (answer.flow or answer.screen):
            where = f" (flow {answer.flow or '?'}, screen {answer.screen or '-'})"
        level = logging.ERROR if answer is not None and answer.bot_fault else logging.WARNING
        log.log(level, "flows request refused: %d %s%s", status, reason, where)

    async def _once(self, body: bytes) -> _Answer:
        """Answer ``body`` once: a redelivery gets the remembered answer; a copy arriving while
        the first is still being answered waits for it."""
        key = hashlib.sha256(body).digest()
        remembered = self._replays.get(key)
        if remembered is not None:
            if self._metrics is not None:
                self._metrics.replays.inc()
            return remembered
        running = self._pending.get(key)
        if running is not None:
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.cancelled():
                    raise  # this request itself was cancelled
        future: asyncio.Future[_Answer] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            answer = await self._answer(body)
            future.set_result(answer)
        finally:
            if self._pending.get(key) is future:
                del self._pending[key]
            if not future.done():
                future.cancel()
        if answer.remember:
            self._replays.put(key, answer)
        return answer

    async def _answer(self, body: bytes) -> _Answer:
        try:
            return await self._answer_decrypted(body)
        except FlowRequestError as exc:
            return _Answer(exc.status, exc.public, exc.reason)
        except Exception as exc:  # a bug here must still answer, and log one line
            return _Answer(500, "internal error", f"unexpected {type(exc).__name__}{_where(exc)}",
                           bot_fault=True)

    async def _answer_decrypted(self, body: bytes) -> _Answer:
        request = decrypt_request(body, self._key)
        payload = request.payload
        action, version = payload.get("action"), payload.get("version", "")
        if not isinstance(action, str):
            raise FlowRequestError(400, "action is missing or not a string")
        if not isinstance(version, str):
            raise FlowRequestError(400, "version is not a string")

        def seal(out: dict[str, Any]) -> str:
            return encrypt_response(out, request.aes_key, request.iv)

        if action == "ping":
            return _Answer(200, seal({"data": {"status": "active"}}), action="ping")
        data, screen, token = payload.get("data"), payload.get("screen"), payload.get("flow_token")
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise FlowRequestError(400, "data is not a JSON object")
        if screen is not None and not isinstance(screen, str):
            raise FlowRequestError(400, "screen is not a string")
        screen = screen or None
        shown = shown_name(screen)  # for logs and labels: a screen id, or a placeholder
        if "error" in data:
            claims = self._notify(action, screen, shown, data, token, version)
            return _Answer(200, seal({"data": {"acknowledged": True}}), action=shown_name(action),
                           screen=shown, flow=claims.flow_id if claims else None, remember=True)
        if action not in ACTIONS:
            raise FlowRequestError(400, f"unknown action {action[:40]!r}")
        if not isinstance(token, str):
            raise FlowRequestError(400, "flow_token is missing or not a string")
        try:
            claims = self._tokens.verify(token)
        except FlowTokenError as exc:
            return _Answer(427, "flow token not valid", str(exc), screen=shown, action=action)
        where: dict[str, Any] = {"flow": claims.flow_id, "screen": shown, "action": action}
        flow_request = FlowRequest(action, screen, data, token, claims, version, self._context)
        try:
            response = await self.handlers.answer(flow_request)
            text = seal(response.payload(token))
        except NoFlowHandlerError as exc:
            return _Answer(400, "no handler for this request", str(exc), bot_fault=True, **where)
        except FlowHandlerError as exc:
            cause = exc.__cause__ or exc
            return _Answer(500, "handler failed", f"{exc}{_where(cause)}", bot_fault=True,
                           **where)
        except TypeError as exc:  # the answer's data is not JSON-serialisable
            return _Answer(500, "handler failed", f"the answer cannot be encoded as JSON: {exc}",
                           bot_fault=True, **where)
        return _Answer(200, text, remember=True, **where)

    def _notify(self, action: str, screen: str | None, shown: str | None,
                data: dict[str, Any], token: object, version: str) -> FlowTokenClaims | None:
        claims = None
        if isinstance(token, str):
            try:
                claims = self._tokens.verify(token)
            except FlowTokenError:
                claims = None
        error, message = data.get("error"), data.get("error_message")
        note = FlowErrorNotification(
            action=action, screen=screen, error=str(error),
            error_message=message if isinstance(message, str) else None,
            flow_token=token if isinstance(token, str) else None, claims=claims,
            version=version)
        log.warning("flow error notification acknowledged (flow %s, screen %s)",
                    claims.flow_id if claims else "?", shown or "-")
        if self._hook is not None:
            task = asyncio.get_running_loop().create_task(self._run_hook(self._hook, note))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return claims

    @staticmethod
    async def _run_hook(hook: ErrorNotificationHook, note: FlowErrorNotification) -> None:
        try:
            await hook(note)
        except Exception as exc:
            log.error("the flow error notification hook raised %s%s", type(exc).__name__,
                      _where(exc))
