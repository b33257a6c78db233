"""Media messages (image, video, audio, voice, document, sticker) by media id, by link, or from
a local file or bytes that botkit uploads when the message is sent.

A local file is checked at once (it exists, its MIME type and size are ones Meta takes for that
kind) and again when it is uploaded. Until then the message object carries a pending upload
(``{"botkit_upload": {...}}`` where the media id will go), which
:meth:`WhatsAppClient.send <botkit.whatsapp.client.WhatsAppClient.send>` replaces with the id
of the upload just before sending. A path is read by the process that sends the message; bytes
travel inside the message object (base64) until then. The marker is trusted like the code that
made it (it names a file to read and send): message objects from untrusted JSON must not be
passed on as they are.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Self, TypeAlias

from botkit.whatsapp import media_types
from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import (
    InvalidMediaSource,
    MediaFileNotFound,
    MessageBuildError,
)

#: The key that marks a media object still to be uploaded.
PENDING_UPLOAD = "botkit_upload"
CAPTION_LIMIT = 1024
_HEAD = 32


@dataclass(frozen=True, slots=True)
class MediaId:
    """Media already uploaded to Meta (``POST /{phone-number-id}/media``), by its id."""

    id: str

    def __post_init__(self) -> None:
        check.text(self.id, "media id")


@dataclass(frozen=True, slots=True)
class MediaLink:
    """Media Meta downloads from your HTTPS server when it sends the message."""

    url: str

    def __post_init__(self) -> None:
        check.url(self.url, "media link")


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """A file (``path``) or bytes (``data``) to upload as ``kind`` media when sent."""

    kind: str
    mime_type: str
    path: str | None = None
    data: bytes | None = field(default=None, repr=False)
    filename: str | None = None

    @classmethod
    def of(cls, source: str | os.PathLike[str] | bytes | IO[bytes], kind: str, *,
           mime_type: str | None = None, filename: str | None = None) -> LocalMedia:
        """Check ``source`` (a path, bytes, or a binary stream, read at once) as ``kind``
        media; raises the :class:`~.errors.InvalidMedia` error that names the problem."""
        what = f"{kind} file"
        if isinstance(source, bytes | bytearray | memoryview):
            return cls._from_data(bytes(source), kind, mime_type, filename, what)
        if hasattr(source, "read"):
            data = source.read(media_types.LARGEST + 1)
            if not isinstance(data, bytes):
                raise MessageBuildError(what, "must be a binary stream (opened with 'rb')")
            name = filename or _stream_name(source)
            return cls._from_data(data, kind, mime_type, name, what)
        path = Path(os.fspath(source)).expanduser()
        if not path.is_file():
            raise MediaFileNotFound(what, f"{str(path)!r} does not exist or is not a file")
        name = filename or path.name
        resolved = media_types.resolve_type(mime_type, name, what)
        with path.open("rb") as stream:
            head = stream.read(_HEAD)
        media_types.check_media(kind, resolved, path.stat().st_size, head, what)
        return cls(kind, resolved, path=str(path.resolve()), filename=name)

    @classmethod
    def _from_data(cls, data: bytes, kind: str, mime_type: str | None, filename: str | None,
                   what: str) -> LocalMedia:
        resolved = media_types.resolve_type(mime_type, filename, what)
        media_types.check_media(kind, resolved, len(data), data[:_HEAD], what)
        return cls(kind, resolved, data=data, filename=filename)

    def pending(self) -> dict[str, Any]:
        """The marker the client uploads and replaces with the media id."""
        upload: dict[str, Any] = {"kind": self.kind, "mime_type": self.mime_type}
        if self.filename:
            upload["filename"] = self.filename
        if self.path is not None:
            upload["path"] = self.path
        else:
            upload["data"] = base64.b64encode(self.data or b"").decode("ascii")
        return {PENDING_UPLOAD: upload}


MediaSource: TypeAlias = MediaId | MediaLink | LocalMedia


def _stream_name(stream: Any) -> str | None:
    name = getattr(stream, "name", None)
    return Path(name).name if isinstance(name, str) else None


@dataclass(frozen=True, slots=True)
class MediaMessage(MessageBuilder):
    """The media message types share this shape: ``{"type": kind, kind: {"id" | "link",
    ...}}``. Build one with a class method: ``by_id``, ``by_link``, ``from_file``,
    ``from_bytes``."""

    media: MediaSource
    caption: str | None = None
    filename: str | None = None

    kind: ClassVar[str] = ""
    upload_kind: ClassVar[str] = ""
    takes_caption: ClassVar[bool] = False
    takes_filename: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not isinstance(self.media, MediaId | MediaLink | LocalMedia):
            raise InvalidMediaSource(f"{self.kind} media", "must be a MediaId, a MediaLink or "
                                     f"a LocalMedia, not {type(self.media).__name__}")
        if isinstance(self.media, LocalMedia) and self.media.kind != self._upload_kind():
            raise InvalidMediaSource(f"{self.kind} media", f"was checked as {self.media.kind} "
                                     "media; build it with this class's from_file/from_bytes")
        if self.caption is not None:
            if not self.takes_caption:
                raise InvalidMediaSource(f"{self.kind} caption", "is not allowed: only images, "
                                         "videos and documents have a caption")
            check.text(self.caption, f"{self.kind} caption", CAPTION_LIMIT)
        if self.filename is not None:
            if not self.takes_filename:
                raise InvalidMediaSource(f"{self.kind} filename",
                                         "is not allowed: only documents have a filename")
            check.text(self.filename, "document filename")

    @classmethod
    def _upload_kind(cls) -> str:
        return cls.upload_kind or cls.kind

    @classmethod
    def by_id(cls, media_id: str, *, caption: str | None = None,
              filename: str | None = None) -> Self:
        """Media uploaded earlier (``await bot.whatsapp.upload_media(...)``)."""
        return cls(MediaId(media_id), caption, filename)

    @classmethod
    def by_link(cls, url: str, *, caption: str | None = None,
                filename: str | None = None) -> Self:
        """Media Meta fetches from ``url`` (your HTTPS server)."""
        return cls(MediaLink(url), caption, filename)

    @classmethod
    def from_file(cls, source: str | os.PathLike[str] | IO[bytes], *,
                  caption: str | None = None, filename: str | None = None,
                  mime_type: str | None = None) -> Self:
        """A local file (a path, or a binary stream read now), uploaded when the message is
        sent; the MIME type comes from the file name unless given. A document shows the
        file's name unless ``filename`` says otherwise."""
        local = LocalMedia.of(source, cls._upload_kind(), mime_type=mime_type,
                              filename=filename)
        shown = filename or (local.filename if cls.takes_filename else None)
        return cls(local, caption, shown)

    @classmethod
    def from_bytes(cls, data: bytes, *, mime_type: str | None = None,
                   filename: str | None = None, caption: str | None = None) -> Self:
        """Bytes uploaded when the message is sent; give ``mime_type`` or a ``filename``
        with an extension."""
        local = LocalMedia.of(data, cls._upload_kind(), mime_type=mime_type, filename=filename)
        return cls(local, caption, filename if cls.takes_filename else None)

    def media_object(self) -> dict[str, Any]:
        """The object under the type's key (also used as an interactive header's media)."""
        media = self.media
        if isinstance(media, MediaId):
            content: dict[str, Any] = {"id": media.id}
        elif isinstance(media, MediaLink):
            content = {"link": media.url}
        else:
            content = media.pending()
        if self.caption is not None:
            content["caption"] = self.caption
        if self.filename is not None:
            content["filename"] = self.filename
        return content

    def to_body(self) -> dict[str, Any]:
        return {"type": self.kind, self.kind: self.media_object()}


@dataclass(frozen=True, slots=True)
class Image(MediaMessage):
    """An image (JPEG or PNG, up to 5 MB) with an optional caption (1,024 characters)."""

    kind: ClassVar[str] = "image"
    takes_caption: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Video(MediaMessage):
    """A video (MP4 or 3GPP, H.264 and AAC, up to 16 MB) with an optional caption."""

    kind: ClassVar[str] = "video"
    takes_caption: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Audio(MediaMessage):
    """An audio file (AAC, AMR, MP3, MP4 audio, OGG Opus; up to 16 MB); no caption."""

    kind: ClassVar[str] = "audio"


@dataclass(frozen=True, slots=True)
class Voice(MediaMessage):
    """A voice message: OGG audio encoded with Opus, shown with a play button and
    transcribed (``"voice": true`` on an audio message)."""

    kind: ClassVar[str] = "audio"
    upload_kind: ClassVar[str] = "voice"

    def media_object(self) -> dict[str, Any]:
        return {**MediaMessage.media_object(self), "voice": True}


@dataclass(frozen=True, slots=True)
class Document(MediaMessage):
    """A document (PDF, text, Word, Excel, PowerPoint; up to 100 MB) with an optional caption
    and the file name the customer sees."""

    kind: ClassVar[str] = "document"
    takes_caption: ClassVar[bool] = True
    takes_filename: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Sticker(MediaMessage):
    """A sticker: WebP, up to 100 KB (500 KB when animated); no caption."""

    kind: ClassVar[str] = "sticker"
