"""Inbound media with :class:`~botkit.whatsapp.client.WhatsAppClient`: where a media file is
(``GET /{media-id}``) and its safe, checked download.

Kept apart from the sending methods because it is the other direction: the download itself,
with its host and digest checks, lives in :mod:`botkit.whatsapp.media`; this mixin adds the
Graph lookup, the retries and the client's access token.
"""

from __future__ import annotations

import logging
from pathlib import Path

from botkit.whatsapp import media as _media
from botkit.whatsapp._transport import GraphTransport, segment
from botkit.whatsapp.media import MAX_MEDIA_BYTES, MediaInfo

logger = logging.getLogger("botkit.whatsapp")


class MediaCalls(GraphTransport):
    """The media methods of the client (a mixin over the transport)."""

    async def media_info(self, media_id: str, *, phone_number_id: str | None = None
                         ) -> MediaInfo:
        """Where to download a media file; the URL expires within minutes. ``phone_number_id``
        (the number that received the media) picks its token and asks Meta to check that the
        media belongs to it."""
        params = {"phone_number_id": phone_number_id} if phone_number_id else None
        data = await self._call("GET", f"/{segment(media_id)}", params=params, may_resend=True,
                                number=phone_number_id)
        return MediaInfo.from_response(media_id, data)

    async def download_media(
        self,
        media_id: str,
        dest_dir: Path,
        *,
        sha256: str | None = None,
        max_bytes: int = MAX_MEDIA_BYTES,
        phone_number_id: str | None = None,
    ) -> Path:
        """Download a media file into ``dest_dir`` under a generated name and return its path.

        ``sha256`` is the webhook's value (base64 or hex); the Graph API's own value is checked
        too. On a mismatch the file is deleted and :class:`MediaIntegrityError` is raised.
        ``phone_number_id``, the number that received the media, picks the token.
        """
        expected = [_media.digest_from(sha256)] if sha256 else []
        info = await self.media_info(media_id, phone_number_id=phone_number_id)
        if info.sha256:
            try:
                expected.append(_media.digest_from(info.sha256))
            except ValueError:
                logger.warning(
                    "media %s: the Graph API sha256 is unreadable; not checked", media_id
                )

        async def attempt() -> Path:
            return await _media.download(
                self._http,
                info,
                Path(dest_dir),
                token=self.token_for(phone_number_id),
                is_trusted=self._is_trusted,
                expected=expected,
                max_bytes=max_bytes,
            )

        return await self._retrying(f"download of media {media_id}")(attempt)

    def _is_trusted(self, url: str) -> bool:
        return _media.is_trusted_url(url, self._graph_url, self._media_hosts)
