"""What the fake Graph API's plain routes read from a request, and the error answer they give.

Kept apart from the routes so that each route module (Flows today) reads only its own rules:
the query's ``fields``, a body that may be JSON, a form or multipart, and the Graph API's error
shape are the same for every route.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Protocol
from urllib.parse import parse_qsl

#: A route's answer: the HTTP status and the JSON body.
Answer = tuple[int, dict[str, Any]]


class GraphRequest(Protocol):
    """What a route reads from a request (the fake Graph API's ``RecordedRequest`` fits)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> Mapping[str, str]: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...


def request_fields(request: GraphRequest, default: list[str]) -> list[str]:
    """The names in ``?fields=``, or ``default`` when the caller asked for none (as Meta)."""
    asked = request.query.get("fields")
    return [name.strip() for name in asked.split(",")] if asked else default


def request_params(request: GraphRequest) -> dict[str, Any]:
    """Query and body parameters in one mapping: the Graph API takes either, JSON or a form."""
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        return {**request.query, **(body if isinstance(body, dict) else {})}
    form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return {**request.query, **form}


def multipart_parts(request: GraphRequest) -> dict[str, bytes]:
    """A ``multipart/form-data`` body's parts by name (empty for any other body)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return {}
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = payload
    return parts


def graph_error(status: int, code: int, message: str, details: str | None = None) -> Answer:
    """An error answer shaped like the Graph API's (``(#code) message``, a trace id)."""
    return status, {"error": {"message": f"(#{code}) {message}", "type": "OAuthException",
                              "code": code, "error_user_msg": details or message,
                              "fbtrace_id": secrets.token_urlsafe(12)}}
