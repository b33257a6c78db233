"""What crosses the fake Graph API's wire: the request as recorded, the reply a route returns,
and replies shaped like Meta's (errors, unknown objects, a refused token).

Separate from the server so that a route module (the built-in ones, or another feature's)
imports only this vocabulary, never the HTTP plumbing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

DEFAULT_MESSAGES = {
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

    @property
    def params(self) -> dict[str, str]:
        """Query, JSON and form parameters together as strings, without ``access_token``."""
        body = self.json if isinstance(self.json, dict) else self.form
        merged = {**self.query, **{k: v for k, v in body.items() if isinstance(v, str | bool)}}
        return {key: str(value) for key, value in merged.items() if key != "access_token"}


@dataclass
class Reply:
    """An answer: status, body and its content type, and any extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode())


def graph_error(
    status: int, code: int, message: str, details: str | None = None, *, subcode: int | None = None
) -> Reply:
    """An error body as the Graph API writes it (``(#code) message``, a trace id, details)."""
    error: dict[str, Any] = {
        "message": f"(#{code}) {message}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details or message},
        "fbtrace_id": secrets.token_urlsafe(12),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return json_reply({"error": error}, status)


def object_missing(method: str, object_id: str) -> Reply:
    """Meta's answer for an object that does not exist or does not support the call."""
    return graph_error(
        400,
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation.",
        subcode=33,
    )


def token_refused(request: RecordedRequest, expected: str | None) -> Reply | None:
    """None when ``expected`` is None or the request carries it (bearer, query or form);
    else the 401 / code 190 answer."""
    token = request.bearer or request.query.get("access_token") or request.form.get("access_token")
    if expected is None or (token is not None and secrets.compare_digest(token, expected)):
        return None
    return graph_error(401, 190, DEFAULT_MESSAGES[190])
