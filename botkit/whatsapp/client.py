"""Outbound WhatsApp Cloud API client: validated messages, rate limits and safe retries.

Messages are checked against Meta's documented limits before anything is sent, callers wait on
client-side limiters instead of being rejected, transient failures are retried with tenacity,
and a send whose answer was lost is never repeated (it could reach the user twice).

:class:`WhatsAppClient` is the one class plugins use; its methods come from small modules, one
job each: ``_transport`` (settings checks, HTTP, rate limits, retries, generic
:meth:`~WhatsAppClient.request`), ``_sending`` (the ``/messages`` calls), ``_uploads`` (media
upload and deletion, and the local media of message builders) and ``_media_calls`` (media
lookup and download).
"""

from __future__ import annotations

from botkit.whatsapp._media_calls import MediaCalls
from botkit.whatsapp._sending import MessageSending, SendResult
from botkit.whatsapp.media import (
    MediaDownloadError,
    MediaInfo,
    MediaIntegrityError,
    UntrustedMediaHost,
)
from botkit.whatsapp.messages import MEDIA_KINDS

__all__ = [
    "MEDIA_KINDS",
    "MediaDownloadError",
    "MediaInfo",
    "MediaIntegrityError",
    "SendResult",
    "UntrustedMediaHost",
    "WhatsAppClient",
]


class WhatsAppClient(MessageSending, MediaCalls):
    """Async client for the Cloud API; one per process, shared by every plugin."""

    def __repr__(self) -> str:
        return f"WhatsAppClient(graph_url={self._graph_url!r}, api_version={self._version!r})"
