"""Downloading inbound media safely: trusted hosts only, generated names, checked sha256.

The media URL that Meta returns must be fetched with the access token, so the token would leak
to whoever controls that URL if it pointed elsewhere: only the configured Graph host and Meta's
media hosts receive it. File names come from a UUID and the MIME type, never from the payload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import mimetypes
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from botkit.errors import BotkitError
from botkit.whatsapp.errors import classify, from_transport_error

META_MEDIA_HOSTS = ("fbsbx.com", "facebook.com", "whatsapp.net")
MAX_MEDIA_BYTES = 100 * 1024 * 1024  # Meta's largest media (documents) is 100 MB
_MAX_REDIRECTS = 3
_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,10}$")
# WhatsApp's media types; mimetypes alone varies by platform and knows few of them.
_EXTENSIONS = {
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "audio/mp4": ".m4a",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/3gpp": ".3gp",
    "video/mp4": ".mp4",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}


class MediaDownloadError(BotkitError):
    """A media file could not be downloaded safely."""


class UntrustedMediaHost(MediaDownloadError):
    """The media URL points to a host that must not receive the access token."""


class MediaIntegrityError(MediaDownloadError):
    """The downloaded bytes do not match the announced sha256 or size; the file was deleted."""


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What ``GET /{media_id}`` answers; ``url`` expires within minutes."""

    id: str
    url: str
    mime_type: str
    sha256: str | None
    file_size: int | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, media_id: str, data: Mapping[str, Any]) -> MediaInfo:
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise MediaDownloadError(f"the Graph API gave no download URL for media {media_id}")
        size = data.get("file_size")
        return cls(
            id=str(data.get("id") or media_id),
            url=url,
            mime_type=str(data.get("mime_type") or "application/octet-stream"),
            sha256=data.get("sha256") or None,
            file_size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
            raw=data,
        )


def is_trusted_url(url: str, graph_url: str, media_hosts: tuple[str, ...]) -> bool:
    """True for the Graph API's own origin and for HTTPS URLs on Meta's media hosts."""
    target, graph = urlsplit(url), urlsplit(graph_url)
    if (target.scheme, target.hostname, target.port) == (graph.scheme, graph.hostname, graph.port):
        return True
    host = (target.hostname or "").lower().rstrip(".")
    if target.scheme != "https" or not host:
        return False
    return any(host == suffix or host.endswith("." + suffix) for suffix in media_hosts)


def digest_from(sha256: str) -> bytes:
    """Decode a sha256 given as hex (Graph API) or base64 (webhooks) into 32 raw bytes."""
    text = sha256.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text)
    try:
        padded = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(f"sha256 must be 64 hex digits or base64 of 32 bytes, got {sha256!r}")
    return raw


def extension_for(mime_type: str) -> str:
    """A safe file extension for a MIME type (parameters such as ``codecs`` are ignored)."""
    base = mime_type.split(";", 1)[0].strip().lower()
    extension = _EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ".bin"
    return extension if _SAFE_EXTENSION.match(extension) else ".bin"


async def download(
    http: httpx.AsyncClient,
    info: MediaInfo,
    dest_dir: Path,
    *,
    token: str,
    is_trusted: Callable[[str], bool],
    expected: list[bytes],
    max_bytes: int = MAX_MEDIA_BYTES,
) -> Path:
    """Stream ``info.url`` into ``dest_dir`` under a generated name and check its digest.

    Redirects are followed by hand so that every hop is checked against ``is_trusted`` before
    the token is sent to it.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"{uuid.uuid4().hex}{extension_for(info.mime_type)}"
    url = info.url
    try:
        for _ in range(_MAX_REDIRECTS + 1):
            if not is_trusted(url):
                raise UntrustedMediaHost(
                    f"refusing to send the access token to {_host_of(url)!r} (media {info.id}); "
                    "only the Graph API host and Meta's media hosts are trusted; "
                    "add the host to media_hosts if it really is Meta's"
                )
            request = http.build_request("GET", url, headers={"Authorization": f"Bearer {token}"})
            response = await http.send(request, stream=True)
            try:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                if response.status_code >= 400:
                    await response.aread()
                    raise classify(response.status_code, _json_or_none(response), redact=[token])
                digest = await _write(response, path, max_bytes)
            finally:
                await response.aclose()
            _check(path, digest, expected, info)
            return path
        raise MediaDownloadError(f"too many redirects while downloading media {info.id}")
    except httpx.TransportError as exc:
        path.unlink(missing_ok=True)
        raise from_transport_error(exc, may_resend=True, target=_host_of(url)) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise


async def _write(response: httpx.Response, path: Path, max_bytes: int) -> bytes:
    hasher = hashlib.sha256()
    size = 0
    with path.open("xb") as out:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise MediaIntegrityError(f"media is larger than the limit of {max_bytes} bytes")
            hasher.update(chunk)
            out.write(chunk)
    return hasher.digest()


def _check(path: Path, digest: bytes, expected: list[bytes], info: MediaInfo) -> None:
    for wanted in expected:
        if not hmac.compare_digest(digest, wanted):
            raise MediaIntegrityError(
                f"media {info.id} failed its sha256 check (expected {wanted.hex()}, "
                f"got {digest.hex()}); the file was deleted"
            )
    if info.file_size is not None and path.stat().st_size != info.file_size:
        raise MediaIntegrityError(
            f"media {info.id} has {path.stat().st_size} bytes, expected {info.file_size}; "
            "the file was deleted"
        )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _host_of(url: str) -> str:
    return urlsplit(url).hostname or url
