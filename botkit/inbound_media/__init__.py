"""Keeping inbound media: with ``[media] keep = true`` every image, video, audio, document and
sticker a customer sends is downloaded once, checked against the webhook's sha256, and kept
under a name made from its digest, before any plugin handles the message.

Plugins ask for a message's file with ``await kept_media(bot, message)``.
"""

from __future__ import annotations

from botkit.inbound_media.backends import open_media_index
from botkit.inbound_media.files import MediaDigestMismatch, MediaFolderError
from botkit.inbound_media.index import MediaIndex
from botkit.inbound_media.keeping import kept_media, media_index
from botkit.inbound_media.options import KeepPlan, MediaFolderMissing, keep_plan
from botkit.inbound_media.records import MEDIA_TYPES, KeptMedia
from botkit.inbound_media.target import MEDIA_TARGET, media_target

__all__ = [
    "MEDIA_TARGET",
    "MEDIA_TYPES",
    "KeepPlan",
    "KeptMedia",
    "MediaDigestMismatch",
    "MediaFolderError",
    "MediaFolderMissing",
    "MediaIndex",
    "keep_plan",
    "kept_media",
    "media_index",
    "media_target",
    "open_media_index",
]
