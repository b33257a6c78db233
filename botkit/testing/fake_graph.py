"""A fake Graph API: a real HTTP server on a loopback port that answers like Meta and records.

It runs in a background thread with its own event loop, so sync and async tests alike can point
a client at ``fake.url``. Besides answering message sends, read receipts, media and webhook
subscription calls, it can fail, slow down or drop the next requests, to test retry paths.

The server is a small HTTP/1.1 loop on h11 rather than an ASGI app because dropping a
connection without any answer (a lost response) is impossible to express through ASGI.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import h11
import httpx

_VERSION = re.compile(r"^v\d+\.\d+$")
_DEFAULT_MESSAGES = {
    1: "An unknown error occurred",
    2: "Service temporarily unavailable",
    4: "Application request limit reached",
    100: "Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    80007: "Rate limit issues",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    133004: "Server temporarily unavailable",
}
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it; header names are lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    time: float

    @property
    def form(self) -> dict[str, str]:
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return {}
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def bearer(self) -> str | None:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token if scheme.lower() == "bearer" and token else None


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Fault:
    kind: str  # "fail" or "drop"
    remaining: int
    path_contains: str | None
    reply: _Reply | None = None


@dataclass
class _Media:
    content: bytes
    mime_type: str
    signature: str
    download_url: str | None


class FakeGraphAPI:
    """``with FakeGraphAPI(access_token="t") as fake: ...`` then point a client at ``fake.url``.

    ``access_token`` (when set) must be presented as a bearer token, else the answer is 401
    with code 190. Apps (for ``/subscriptions``) and WhatsApp Business Accounts (for
    ``/subscribed_apps``) must be declared with :meth:`add_app` and :meth:`add_waba`.
    """

    def __init__(self, *, access_token: str | None = None, host: str = "127.0.0.1") -> None:
        self.access_token = access_token
        self.host = host
        self.url = ""
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Condition()
        self._accepted: list[tuple[str, dict[str, Any]]] = []
        self._receipts: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        self._delays: list[float] = []
        self._media: dict[str, _Media] = {}
        self._apps: dict[str, str | None] = {}
        self._subscriptions: dict[str, dict[str, dict[str, Any]]] = {}
        self._wabas: dict[str, dict[str, dict[str, Any]]] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._connections: set[asyncio.Task[None]] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeGraphAPI:
        if self._thread is not None:
            raise RuntimeError("the fake Graph API is already running")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="fake-graph-api", daemon=True
        )
        self._thread.start()
        if not ready.wait(10) or failure:
            self._thread = None
            raise RuntimeError(f"the fake Graph API did not start: {failure or 'timeout'}")
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)
        self._thread = None

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
        with self._lock:
            return [body for pnid, body in self._accepted if phone_number_id in (None, pnid)]

    def read_receipts(self) -> list[dict[str, Any]]:
        """Accepted mark-as-read bodies (with ``typing_indicator`` when one was asked for)."""
        with self._lock:
            return list(self._receipts)

    def subscriptions(self, app_id: str) -> list[dict[str, Any]]:
        """The app's webhook subscriptions, as ``GET /{app_id}/subscriptions`` lists them."""
        with self._lock:
            return [json.loads(json.dumps(s)) for s in self._subscriptions.get(app_id, {}).values()]

    def subscribed_apps(self, waba_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._wabas.get(waba_id, {}).values()]

    def wait_for_messages_sync(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until ``count`` messages were accepted; TimeoutError names how many came."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._accepted) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} sent messages within {timeout} s, got {len(self._accepted)}"
                )
            return [body for _, body in self._accepted]

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
            text = message or f"{status} {_REASONS.get(status, 'Error')}"
            reply = _Reply(status, text.encode(), "text/html", headers)
        else:
            text = message or _DEFAULT_MESSAGES.get(code, "Fake failure")
            reply = _graph_error(status, code, text)
            reply.headers.extend(headers)
        with self._lock:
            self._faults.append(_Fault("fail", count, path_contains, reply))

    def drop_next(self, count: int = 1, *, path_contains: str | None = None) -> None:
        """Read the next ``count`` requests, record them, then close without any answer."""
        with self._lock:
            self._faults.append(_Fault("drop", count, path_contains))

    def delay_next(self, count: int, seconds: float) -> None:
        """Hold the answers to the next ``count`` requests for ``seconds``, then answer normally."""
        with self._lock:
            self._delays.extend([seconds] * count)

    def add_media(
        self, media_id: str, content: bytes, mime_type: str, *, download_url: str | None = None
    ) -> None:
        """Serve ``content`` as ``media_id``; ``download_url`` replaces the fake's own URL."""
        with self._lock:
            self._media[media_id] = _Media(
                content, mime_type, secrets.token_urlsafe(12), download_url
            )

    def add_app(self, app_id: str, app_token: str | None = None) -> None:
        """Declare an app; its ``/subscriptions`` calls need ``app_token`` when one is given."""
        with self._lock:
            self._apps[app_id] = app_token
            self._subscriptions.setdefault(app_id, {})

    def add_waba(self, waba_id: str) -> None:
        with self._lock:
            self._wabas.setdefault(waba_id, {})

    def reset(self) -> None:
        """Forget recorded traffic, pending faults and subscriptions; keep declared objects."""
        with self._lock:
            self.requests.clear()
            self._accepted.clear()
            self._receipts.clear()
            self._faults.clear()
            self._delays.clear()
            for subscriptions in (*self._subscriptions.values(), *self._wabas.values()):
                subscriptions.clear()

    # -- the HTTP server ----------------------------------------------------------------------

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(ready))
        except BaseException as exc:  # reported to start(), which is waiting on ready
            failure.append(exc)
            ready.set()
        finally:
            loop.close()

    async def _serve(self, ready: threading.Event) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._connection, self.host, 0)
        port = server.sockets[0].getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{port}"
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while (request := await self._read(conn, reader)) is not None:
                reply = await self._answer(request)
                if reply is None:
                    writer.transport.abort()
                    return
                writer.write(_encode(conn, reply))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError):
            return
        except asyncio.CancelledError:
            return  # stop() cancels open keep-alive connections; ending quietly is the point
        finally:
            self._connections.discard(task)
            writer.close()

    async def _read(
        self, conn: h11.Connection, reader: asyncio.StreamReader
    ) -> RecordedRequest | None:
        head: h11.Request | None = None
        chunks: list[bytes] = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage) and head is not None:
                return self._record(head, b"".join(chunks))
            else:
                return None

    def _record(self, head: h11.Request, body: bytes) -> RecordedRequest:
        target = urlsplit(head.target.decode("latin-1"))
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in head.headers
        }
        try:
            parsed = json.loads(body) if "json" in headers.get("content-type", "") else None
        except ValueError:
            parsed = None
        request = RecordedRequest(
            method=head.method.decode("ascii"),
            path=target.path,
            query=dict(parse_qsl(target.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            json=parsed,
            time=time.time(),
        )
        with self._lock:
            self.requests.append(request)
        return request

    async def _answer(self, request: RecordedRequest) -> _Reply | None:
        with self._lock:
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

    # -- the Graph API ------------------------------------------------------------------------

    async def _route(self, request: RecordedRequest) -> _Reply:
        parts = request.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "media-download":
            return self._media_download(request, parts[1])
        if not parts or not _VERSION.match(parts[0]) or len(parts) not in (2, 3):
            return _graph_error(400, 2500, f"Unknown path components: {request.path}")
        version, object_id = parts[0], parts[1]
        edge = parts[2] if len(parts) == 3 else None
        if edge == "subscriptions":
            return await self._app_subscriptions(request, version, object_id)
        if (denied := self._check_token(request)) is not None:
            return denied
        if edge == "messages" and request.method == "POST":
            return self._messages(request, object_id)
        if edge == "subscribed_apps" and object_id in self._wabas:
            return self._subscribed_apps(request, object_id)
        if edge is None and request.method == "GET" and object_id in self._media:
            return self._media_info(object_id)
        return _missing(request.method, object_id)

    def _check_token(self, request: RecordedRequest, expected: str | None = None) -> _Reply | None:
        expected = expected if expected is not None else self.access_token
        token = (
            request.bearer or request.query.get("access_token") or request.form.get("access_token")
        )
        if expected is None or (token is not None and secrets.compare_digest(token, expected)):
            return None
        return _graph_error(401, 190, _DEFAULT_MESSAGES[190])

    def _messages(self, request: RecordedRequest, phone_number_id: str) -> _Reply:
        body = request.json
        if not isinstance(body, dict):
            return _graph_error(400, 100, "Invalid parameter", "the body must be a JSON object")
        if body.get("messaging_product") != "whatsapp":
            return _graph_error(400, 100, "The parameter messaging_product is required.")
        if body.get("status") == "read":
            if not body.get("message_id"):
                return _graph_error(400, 100, "The parameter message_id is required.")
            with self._lock:
                self._receipts.append(body)
                self._lock.notify_all()
            return _json({"success": True})
        kind = body.get("type", "text")
        recipient = body.get("to") or body.get("recipient")
        problem = None
        if not recipient:
            problem = "The parameter to is required."
        elif not isinstance(body.get(kind), dict | list):
            problem = f"Param {kind} is required for a message of type {kind}."
        elif kind == "text" and not str(body["text"].get("body") or "").strip():
            problem = "The parameter text['body'] is required."
        if problem:
            return _graph_error(400, 100, problem)
        wamid = "wamid." + base64.b64encode(f"fake.{uuid.uuid4().hex}".encode()).decode()
        message: dict[str, Any] = {"id": wamid}
        if kind == "template":
            message["message_status"] = "accepted"
        if body.get("to"):
            contact = {"input": body["to"], "wa_id": re.sub(r"\D", "", body["to"])}
        else:
            contact = {"input": recipient, "user_id": recipient}
        with self._lock:
            self._accepted.append((phone_number_id, body))
            self._lock.notify_all()
        return _json(
            {"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}
        )

    def _media_info(self, media_id: str) -> _Reply:
        media = self._media[media_id]
        url = media.download_url or f"{self.url}/media-download/{media_id}?token={media.signature}"
        return _json(
            {
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": media.mime_type,
                "sha256": hashlib.sha256(media.content).hexdigest(),
                "file_size": len(media.content),
                "id": media_id,
            }
        )

    def _media_download(self, request: RecordedRequest, media_id: str) -> _Reply:
        media = self._media.get(media_id)
        signature = request.query.get("token", "")
        if media is None or not secrets.compare_digest(signature, media.signature):
            return _Reply(404, b"Not Found", "text/plain")
        if request.bearer is None:
            return _graph_error(401, 190, "An access token is required to download media")
        if (denied := self._check_token(request)) is not None:
            return denied
        return _Reply(200, media.content, media.mime_type)

    async def _app_subscriptions(
        self, request: RecordedRequest, version: str, app_id: str
    ) -> _Reply:
        if app_id not in self._apps:
            return _missing(request.method, app_id)
        app_token = self._apps[app_id]
        if (denied := self._check_token(request, app_token)) is not None:
            if app_token and self.access_token and request.bearer == self.access_token:
                return _graph_error(400, 15, "This method must be called with an app access_token.")
            return denied
        params = _params(request)
        subscriptions = self._subscriptions[app_id]
        if request.method == "GET":
            return _json({"data": self.subscriptions(app_id)})
        if request.method == "DELETE":
            return self._unsubscribe(subscriptions, params)
        if request.method != "POST":
            return _missing(request.method, app_id)
        target = params.get("object")
        callback_url = params.get("callback_url")
        if not target:
            return _graph_error(400, 100, "The parameter object is required.")
        if not callback_url or "verify_token" not in params:
            return _graph_error(
                400, 100, "The parameters callback_url and verify_token are required."
            )
        if (failed := await _verify_callback(callback_url, params["verify_token"])) is not None:
            return failed
        with self._lock:
            entry = subscriptions.setdefault(target, {"object": target, "fields": []})
            entry.update(callback_url=callback_url, active=True)
            known = {f["name"] for f in entry["fields"]}
            entry["fields"].extend(
                {"name": name, "version": version}
                for name in _field_names(params.get("fields"))
                if name not in known
            )
        return _json({"success": True})

    def _unsubscribe(
        self, subscriptions: dict[str, dict[str, Any]], params: dict[str, str]
    ) -> _Reply:
        target, fields = params.get("object"), set(_field_names(params.get("fields")))
        with self._lock:
            for name in [target] if target else list(subscriptions):
                entry = subscriptions.get(name)
                if entry is not None and fields:
                    entry["fields"] = [f for f in entry["fields"] if f["name"] not in fields]
                elif entry is not None:
                    del subscriptions[name]
        return _json({"success": True})

    def _subscribed_apps(self, request: RecordedRequest, waba_id: str) -> _Reply:
        """The caller is the declared app whose token was used, else the only declared app."""
        apps = self._wabas[waba_id]
        if request.method == "GET":
            return _json({"data": self.subscribed_apps(waba_id)})
        app_id = next((a for a, t in self._apps.items() if t and t == request.bearer), None)
        if app_id is None:
            app_id = next(iter(self._apps)) if len(self._apps) == 1 else "0"
        with self._lock:
            if request.method == "DELETE":
                apps.pop(app_id, None)
            elif request.method == "POST":
                entry: dict[str, Any] = {"whatsapp_business_api_data": {"id": app_id}}
                if override := _params(request).get("override_callback_uri"):
                    entry["override_callback_uri"] = override
                apps[app_id] = entry
            else:
                return _missing(request.method, waba_id)
        return _json({"success": True})


async def _verify_callback(callback_url: str, verify_token: str) -> _Reply | None:
    """Call the callback like Meta does; None when it answered the bare challenge with 200."""
    challenge = str(secrets.randbelow(9 * 10**9) + 10**9)
    query = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    prefix = "Callback verification failed with the following errors: "
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(callback_url, params=query)
    except httpx.HTTPError as exc:
        detail = (
            f"curl_error = {type(exc).__name__}; HTTP Status Code = 502; HTTP Message = Bad Gateway"
        )
        return _graph_error(400, 2200, prefix + detail)
    status = f"HTTP Status Code = {response.status_code}; HTTP Message = {response.reason_phrase}"
    if response.status_code != 200:
        return _graph_error(400, 2200, prefix + status)
    if response.text != challenge:
        received = response.text[:100]
        return _graph_error(
            400,
            2200,
            f"{prefix}{status}; Response Body = {received}; Callback verification failed: "
            f'Response does not match challenge, expected value="{challenge}", '
            f'received="{received}"',
        )
    return None


def _params(request: RecordedRequest) -> dict[str, str]:
    body = request.json if isinstance(request.json, dict) else request.form
    merged = {**request.query, **{k: v for k, v in body.items() if isinstance(v, str | bool)}}
    return {key: str(value) for key, value in merged.items() if key != "access_token"}


def _field_names(value: str | None) -> list[str]:
    if not value:
        return []
    if value.startswith("["):
        return [str(name) for name in json.loads(value)]
    return [name.strip() for name in value.split(",") if name.strip()]


def _encode(conn: h11.Connection, reply: _Reply) -> bytes:
    head = [
        ("content-type", reply.content_type),
        ("content-length", str(len(reply.body))),
        *reply.headers,
    ]
    reason = _REASONS.get(reply.status, "OK")
    response = h11.Response(status_code=reply.status, headers=head, reason=reason)
    parts = (response, h11.Data(data=reply.body), h11.EndOfMessage())
    return b"".join(conn.send(part) or b"" for part in parts)


def _json(data: Any, status: int = 200) -> _Reply:
    return _Reply(status, json.dumps(data).encode())


def _graph_error(
    status: int, code: int, message: str, details: str | None = None, *, subcode: int | None = None
) -> _Reply:
    error: dict[str, Any] = {
        "message": f"(#{code}) {message}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or message},
        "fbtrace_id": secrets.token_urlsafe(12),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return _json({"error": error}, status)


def _missing(method: str, object_id: str) -> _Reply:
    return _graph_error(
        400,
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation.",
        subcode=33,
    )
