"""Uploading media with :class:`~botkit.whatsapp.client.WhatsAppClient`: ``POST
/{phone-number-id}/media`` (multipart), ``DELETE /{media-id}``, and the pending uploads of
message builders, replaced by media ids just before a message is sent.

An upload is safe to repeat (a lost answer leaves at worst an unused media object, which Meta
deletes after 30 days), so it is retried like a read; only the message send itself is the
step that must happen at most once. Every file is checked against Meta's types and sizes
before any Graph call (:mod:`botkit.whatsapp.media_types`).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from botkit.whatsapp import media_types
from botkit.whatsapp._transport import GraphTransport, segment
from botkit.whatsapp.builders.errors import (
    MediaFileNotFound,
    MessageBuildError,
    UnsupportedMediaType,
)
from botkit.whatsapp.builders.media import PENDING_UPLOAD
from botkit.whatsapp.errors import GraphError

logger = logging.getLogger("botkit.whatsapp")

#: What can be uploaded: a file path, bytes, or a binary stream (read to its end).
MediaSource = str | os.PathLike[str] | bytes | IO[bytes]


class MediaUploads(GraphTransport):
    """The upload methods of the client (a mixin over the transport)."""

    async def upload_media(self, phone_number_id: str, source: MediaSource,
                           mime_type: str | None = None, filename: str | None = None, *,
                           kind: str | None = None) -> str:
        """Upload ``source`` from business number ``phone_number_id``; returns the media id.

        The MIME type comes from ``filename`` (or the path's name) unless given, and ``kind``
        (``image``, ``video``, ``audio``, ``voice``, ``document``, ``sticker``) from the MIME
        type unless given. A file Meta would refuse raises the
        :class:`~botkit.whatsapp.builders.errors.InvalidMedia` error that says why, before
        any request is made.
        """
        data, mime, name, kind = load_media(source, mime_type, filename, kind)
        upload_name = name or f"upload{media_types.suffix_for(mime)}"
        answer = await self._call(
            "POST", f"/{segment(phone_number_id)}/media",
            data={"messaging_product": "whatsapp", "type": mime},
            files={"file": (upload_name, data, mime)}, may_resend=True, number=phone_number_id)
        media_id = answer.get("id")
        if not isinstance(media_id, str | int) or not str(media_id):
            raise GraphError("the Graph API answered the upload without a media id; check "
                             "graph_url")
        logger.info("uploaded %s media %s (%s, %d bytes)", kind, media_id, mime, len(data))
        return str(media_id)

    async def delete_media(self, media_id: str, *, phone_number_id: str | None = None) -> None:
        """Delete uploaded media (``phone_number_id``: only if it belongs to that number)."""
        params = {"phone_number_id": segment(phone_number_id)} if phone_number_id else None
        answer = await self._call("DELETE", f"/{segment(media_id)}", params=params,
                                  may_resend=True, number=phone_number_id)
        if answer.get("success") is not True:
            raise GraphError(f"the Graph API did not confirm deleting media {media_id}")

    async def resolve_uploads(self, phone_number_id: str,
                              message: Mapping[str, Any]) -> dict[str, Any]:
        """``message`` with every pending upload of a builder's local media uploaded and
        replaced by its media id (a message without any is returned as a plain copy)."""
        done: dict[tuple[str, ...], str] = {}

        async def walk(value: Any) -> Any:
            if isinstance(value, Mapping):
                if PENDING_UPLOAD in value:
                    return await self._upload_pending(phone_number_id, value, done)
                return {key: await walk(item) for key, item in value.items()}
            if isinstance(value, list):
                return [await walk(item) for item in value]
            return value

        resolved: dict[str, Any] = await walk(message)
        return resolved

    async def _upload_pending(self, phone_number_id: str, media: Mapping[str, Any],
                              done: dict[tuple[str, ...], str]) -> dict[str, Any]:
        pending = media[PENDING_UPLOAD]
        if not isinstance(pending, Mapping) or not isinstance(pending.get("kind"), str) or (
                not isinstance(pending.get("mime_type"), str)):
            raise MessageBuildError("pending upload", "is malformed (kind and mime_type needed)")
        kind, mime, name = pending["kind"], pending["mime_type"], pending.get("filename")
        source: MediaSource
        if isinstance(pending.get("path"), str):
            source, key = pending["path"], ("path", kind, mime, pending["path"])
        elif isinstance(pending.get("data"), str):
            try:
                source = base64.b64decode(pending["data"], validate=True)
            except (binascii.Error, ValueError):
                raise MessageBuildError("pending upload", "has data that is not base64") from None
            key = ("data", kind, mime, pending["data"])
        else:
            raise MessageBuildError("pending upload", "needs a path or data")
        if key not in done:
            done[key] = await self.upload_media(phone_number_id, source, mime, name, kind=kind)
        resolved = {k: v for k, v in media.items() if k != PENDING_UPLOAD}
        return {"id": done[key], **resolved}


def load_media(source: MediaSource, mime_type: str | None, filename: str | None,
               kind: str | None) -> tuple[bytes, str, str | None, str]:
    """The bytes, MIME type, file name and kind of ``source``, checked against Meta's limits
    (a path's size is checked before it is read)."""
    what = f"{kind or 'media'} file"
    if kind is not None and kind not in media_types.MEDIA_LIMITS:
        raise UnsupportedMediaType(what, f"has an unknown kind {kind!r}; one of "
                                   f"{', '.join(media_types.MEDIA_LIMITS)}")
    if isinstance(source, bytes | bytearray | memoryview):
        data, name = bytes(source), filename
    elif hasattr(source, "read"):
        data = source.read(media_types.LARGEST + 1)
        if not isinstance(data, bytes):
            raise MessageBuildError(what, "must be a binary stream (opened with 'rb')")
        stream_name = getattr(source, "name", None)
        name = filename or (Path(stream_name).name if isinstance(stream_name, str) else None)
    else:
        path = Path(os.fspath(source)).expanduser()
        if not path.is_file():
            raise MediaFileNotFound(what, f"{str(path)!r} does not exist or is not a file")
        name = filename or path.name
        mime = media_types.resolve_type(mime_type, name, what)
        checked_kind = kind or _kind_of(mime, what)
        with path.open("rb") as stream:
            head = stream.read(32)
        media_types.check_media(checked_kind, mime, path.stat().st_size, head, what)
        data = path.read_bytes()
    mime = media_types.resolve_type(mime_type, name, what)
    kind = kind or _kind_of(mime, what)
    media_types.check_media(kind, mime, len(data), data[:32], what)
    return data, mime, name, kind


def _kind_of(mime: str, what: str) -> str:
    kind = media_types.kind_of(mime)
    if kind is None:
        raise UnsupportedMediaType(
            what, f"cannot be {mime!r}: Meta takes images ({', '.join(media_types.IMAGE_TYPES)}),"
            f" videos ({', '.join(media_types.VIDEO_TYPES)}), audio "
            f"({', '.join(media_types.AUDIO_TYPES)}), documents (PDF, text, Word, Excel, "
            "PowerPoint) and stickers (image/webp)")
    return kind
