"""The fake Graph API's media: ``GET /{media-id}`` (where to download a file, with its sha256)
and the download URL itself, which needs the access token and the signature it was given.

A route module like any other feature's: it only adds :data:`ROUTES`. Media are declared with
:meth:`FakeGraphAPI.add_media`, or uploaded through ``POST /{phone-number-id}/media`` (see
:mod:`.media_upload`), and served alike.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from botkit.testing.fake_graph.route import GraphFake, Route
from botkit.testing.fake_graph.wire import (
    RecordedRequest,
    Reply,
    graph_error,
    json_reply,
    token_refused,
)


def media_info(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> Reply | None:
    """The media's URL, type, size and sha256; None (not ours) for an id never declared."""
    media_id = match["media_id"]
    media = fake.state.media.get(media_id)
    if media is None:
        return None
    url = media.download_url or f"{fake.url}/media-download/{media_id}?token={media.signature}"
    return json_reply(
        {
            "messaging_product": "whatsapp",
            "url": url,
            "mime_type": media.mime_type,
            "sha256": hashlib.sha256(media.content).hexdigest(),
            "file_size": len(media.content),
            "id": media_id,
        }
    )


def download(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> Reply:
    """The file's bytes, for a signed URL and a bearer token only (as Meta's media hosts)."""
    media = fake.state.media.get(match["media_id"])
    signature = request.query.get("token", "")
    if media is None or not secrets.compare_digest(signature, media.signature):
        return Reply(404, b"Not Found", "text/plain")
    if request.bearer is None:
        return graph_error(401, 190, "An access token is required to download media")
    if (denied := token_refused(request, fake.access_token)) is not None:
        return denied
    return Reply(200, media.content, media.mime_type)


ROUTES = [
    Route("*", r"/media-download/(?P<media_id>[^/]+)", download, auth=False),
    Route("GET", r"/v\d+\.\d+/(?P<media_id>[^/]*)", media_info),
]
