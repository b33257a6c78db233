"""Which files Meta takes as which kind of media, and how large: checked before any upload.

From Meta's "Supported media types" table: images JPEG and PNG up to 5 MB; videos MP4 and 3GPP
up to 16 MB; audio AAC, AMR, MP3, MP4 audio and OGG (Opus) up to 16 MB; documents (plain text,
PDF, Word, Excel, PowerPoint) up to 100 MB; stickers WebP up to 100 KB, 500 KB when animated.
A voice message is OGG audio encoded with Opus. MB and KB are read as 2**20 and 2**10 bytes.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

from botkit.whatsapp.builders.errors import (
    EmptyMedia,
    MediaTooLarge,
    UnknownMediaType,
    UnsupportedMediaType,
)

MB, KB = 2**20, 2**10
IMAGE_TYPES = ("image/jpeg", "image/png")
VIDEO_TYPES = ("video/mp4", "video/3gpp")
AUDIO_TYPES = ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg")
DOCUMENT_TYPES = (
    "text/plain",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
STICKER_TYPES = ("image/webp",)
#: What each kind of media may be, and its size limit in bytes.
MEDIA_LIMITS: dict[str, tuple[tuple[str, ...], int]] = {
    "image": (IMAGE_TYPES, 5 * MB),
    "video": (VIDEO_TYPES, 16 * MB),
    "audio": (AUDIO_TYPES, 16 * MB),
    "voice": (("audio/ogg",), 16 * MB),
    "document": (DOCUMENT_TYPES, 100 * MB),
    "sticker": (STICKER_TYPES, 100 * KB),
}
ANIMATED_STICKER_LIMIT = 500 * KB
#: The largest file of any kind (reading a stream stops one byte after it).
LARGEST = max(limit for _, limit in MEDIA_LIMITS.values())

_ALIASES = {"image/jpg": "image/jpeg", "video/3gp": "video/3gpp", "audio/mp3": "audio/mpeg",
            "audio/x-m4a": "audio/mp4", "audio/opus": "audio/ogg"}
_BY_SUFFIX = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
    ".mp4": "video/mp4", ".3gp": "video/3gpp", ".aac": "audio/aac", ".amr": "audio/amr",
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".oga": "audio/ogg",
    ".opus": "audio/ogg", ".txt": "text/plain", ".pdf": "application/pdf",
    ".doc": DOCUMENT_TYPES[2], ".docx": DOCUMENT_TYPES[3], ".xls": DOCUMENT_TYPES[4],
    ".xlsx": DOCUMENT_TYPES[5], ".ppt": DOCUMENT_TYPES[6], ".pptx": DOCUMENT_TYPES[7],
}


def base_type(mime_type: str) -> str:
    """The MIME type without parameters, lower-case, with common aliases resolved."""
    base = mime_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def guess_type(filename: str | None) -> str | None:
    """The MIME type of a file name's extension: the one Meta expects for the types it takes,
    else the platform's guess (so that a refusal can name the type)."""
    if not filename:
        return None
    suffix = PurePath(filename).suffix.lower()
    return _BY_SUFFIX.get(suffix) or mimetypes.guess_type(f"file{suffix}")[0]


def suffix_for(mime_type: str) -> str:
    """A file extension for a MIME type Meta takes (``.bin`` for any other)."""
    base = base_type(mime_type)
    return next((suffix for suffix, mime in _BY_SUFFIX.items() if mime == base), ".bin")


def kind_of(mime_type: str) -> str | None:
    """The kind of media a MIME type is sent as (``image/webp``: a sticker)."""
    base = base_type(mime_type)
    for kind in ("image", "video", "audio", "document", "sticker"):
        if base in MEDIA_LIMITS[kind][0]:
            return kind
    return None


def is_animated_webp(head: bytes) -> bool:
    """True for an extended WebP file whose header says it is animated."""
    return (len(head) > 20 and head[:4] == b"RIFF" and head[8:12] == b"WEBP"
            and head[12:16] == b"VP8X" and bool(head[20] & 0x02))


def resolve_type(mime_type: str | None, filename: str | None, what: str) -> str:
    """The MIME type given, else the one the file name's extension says."""
    if mime_type is not None:
        if not isinstance(mime_type, str) or "/" not in mime_type:
            raise UnknownMediaType(what, f"has an invalid MIME type {mime_type!r}")
        return mime_type.strip()
    guessed = guess_type(filename)
    if guessed is None:
        raise UnknownMediaType(what, "needs a mime_type: none can be told from "
                               + (f"the file name {filename!r}" if filename else "bytes alone"))
    return guessed


def check_media(kind: str, mime_type: str, size: int, head: bytes, what: str) -> None:
    """Raise unless Meta takes ``size`` bytes of ``mime_type`` as ``kind`` media.

    ``head`` is the start of the file (a sticker's limit depends on whether it is animated).
    """
    allowed, limit = MEDIA_LIMITS[kind]
    base = base_type(mime_type)
    if base not in allowed:
        raise UnsupportedMediaType(
            what, f"cannot be {mime_type!r} for {kind} media; Meta takes {', '.join(allowed)}")
    if kind == "sticker" and is_animated_webp(head):
        limit = ANIMATED_STICKER_LIMIT
    if size == 0:
        raise EmptyMedia(what, "has no bytes")
    if size > limit:
        raise MediaTooLarge(f"{what} ({kind}, {base})", limit, size)
