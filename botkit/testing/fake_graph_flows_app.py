"""The Flows management routes of :mod:`botkit.testing.fake_graph_flows` served on their own: a
small ASGI app to run on a LiveServer, so a test talks to them over real HTTP."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from botkit.testing.fake_graph_flows import Answer, FakeFlows, graph_error, route_flows


class FlowsGraphApp:
    """The Flows routes alone as an ASGI app: ``LiveServer(FlowsGraphApp(state, token))``.

    ``access_token`` (when set) must come as a bearer token, else 401 with code 190; every
    request is kept in ``requests`` as ``(method, path)``.
    """

    def __init__(self, state: FakeFlows, access_token: str | None = None) -> None:
        self.state = state
        self.access_token = access_token
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = (await receive())["type"]
                if event == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = _AsgiRequest(scope["method"], scope["path"],
                               dict(parse_qsl(scope["query_string"].decode("latin-1"))),
                               {k.decode("latin-1").lower(): v.decode("latin-1")
                                for k, v in scope["headers"]}, body)
        self.requests.append((request.method, request.path))
        status, data = self._answer(request)
        payload = json.dumps(data).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    def _answer(self, request: _AsgiRequest) -> Answer:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if self.access_token is not None and not (
                scheme.lower() == "bearer" and secrets.compare_digest(token, self.access_token)):
            return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        answer = route_flows(self.state, request)
        if answer is None:
            return graph_error(400, 100, f"Unsupported {request.method.lower()} request: "
                          f"{request.path}")
        return answer


@dataclass(frozen=True)
class _AsgiRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
