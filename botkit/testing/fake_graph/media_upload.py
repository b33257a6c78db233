"""The fake Graph API's media uploads: ``POST /{phone-number-id}/media`` (multipart/form-data,
as Meta takes it) and ``DELETE /{media-id}``.

An uploaded file is stored like a declared one (:meth:`FakeGraphAPI.add_media`), so ``GET
/{media-id}`` and the download URL then serve the very bytes that were uploaded. The multipart
body is parsed with the standard library's MIME parser. A route module like any other
feature's: it only adds :data:`ROUTES`.
"""

from __future__ import annotations

import re
import secrets
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from botkit.testing.fake_graph.route import GraphFake, Route
from botkit.testing.fake_graph.state import StoredMedia
from botkit.testing.fake_graph.wire import RecordedRequest, Reply, graph_error, json_reply

MEDIA_UPLOAD_ERROR = 131053


def form_parts(request: RecordedRequest) -> dict[str, EmailMessage] | None:
    """The parts of a multipart/form-data body by field name; None when it is not one."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    parsed = BytesParser(policy=policy.HTTP).parsebytes(head + request.body)
    if not isinstance(parsed, EmailMessage) or not parsed.is_multipart():
        return None
    parts: dict[str, EmailMessage] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and isinstance(part, EmailMessage):
            parts[name] = part
    return parts


def _field(parts: dict[str, EmailMessage], name: str) -> str | None:
    part = parts.get(name)
    payload = part.get_payload(decode=True) if part is not None else None
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None


def upload(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> Reply:
    """Check the form as Meta does, store the file, answer its new media id."""
    parts = form_parts(request)
    if parts is None:
        return graph_error(400, 100, "Invalid parameter",
                           "the upload must be a multipart/form-data body")
    if _field(parts, "messaging_product") != "whatsapp":
        return graph_error(400, 100, "The parameter messaging_product is required.")
    file_part = parts.get("file")
    content = file_part.get_payload(decode=True) if file_part is not None else None
    if not isinstance(content, bytes) or file_part is None:
        return graph_error(400, 100, "The parameter file is required.")
    mime_type = _field(parts, "type")
    if not mime_type:
        return graph_error(400, 100, "The parameter type is required.")
    if not content:
        return graph_error(400, MEDIA_UPLOAD_ERROR, "Media upload error", "the file is empty")
    media_id = str(secrets.randbelow(9 * 10**15) + 10**15)
    with fake.state.lock:
        fake.state.media[media_id] = StoredMedia(
            content, mime_type, secrets.token_urlsafe(12), None)
    return json_reply({"id": media_id})


def delete(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> Reply | None:
    """Forget a stored media file; None (not ours: "object does not exist") when unknown."""
    with fake.state.lock:
        if fake.state.media.pop(match["media_id"], None) is None:
            return None
    return json_reply({"success": True})


ROUTES = [
    Route("POST", r"/v\d+\.\d+/(?P<phone_number_id>[^/]+)/media", upload),
    Route("DELETE", r"/v\d+\.\d+/(?P<media_id>[^/]+)", delete),
]
