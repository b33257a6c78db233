"""Keeping one message's media file: find it already kept, or download, check and place it.

The work is idempotent by design: a file is looked for under the name its announced sha256
gives it before anything is downloaded, so a retried or replayed event, or a second message
carrying the same file, downloads nothing. Each download asks the Graph API for a fresh URL
(Meta's expire within minutes), so a retry an hour later still works.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botkit.errors import PermanentError
from botkit.inbound_media.backends import open_media_index
from botkit.inbound_media.files import file_digest, file_name, place, prepare_folder, sweep_partials
from botkit.inbound_media.index import MediaIndex
from botkit.inbound_media.options import KeepPlan, keep_plan
from botkit.inbound_media.records import MEDIA_TYPES, KeptMedia
from botkit.state_once import made_once
from botkit.whatsapp.media import digest_from

if TYPE_CHECKING:
    from pathlib import Path

    from botkit.bot import Bot
    from botkit.events import Message

log = logging.getLogger("botkit.media")

#: Where the bot keeps the media index and the keeper (``bot.state``).
INDEX_KEY = "botkit.inbound_media.index"
KEEPER_KEY = "botkit.inbound_media.keeper"
_DEFAULT_MIME = "application/octet-stream"


def media_id_of(message: Message) -> str | None:
    """The media id of an image, video, audio, document or sticker message, else None."""
    media_id = message.content.get("id") if message.type in MEDIA_TYPES else None
    return media_id if isinstance(media_id, str) and media_id else None


class MediaKeeper:
    """Keeps files under ``plan.folder`` and records them in ``index``."""

    def __init__(self, plan: KeepPlan, index: MediaIndex, clock: Callable[[], float]) -> None:
        self.plan = plan
        self.index = index
        self.clock = clock

    async def keep(self, message: Message, client: Any) -> KeptMedia:
        """The kept file of ``message`` (downloading it with ``client`` only when no checked
        copy is there yet). Raises what the download raised, or :class:`PermanentError` when
        trying again cannot help."""
        media_id = media_id_of(message)
        if media_id is None:
            raise PermanentError(f"message {message.id} ({message.type}) carries no media id")
        content = message.content
        mime_type = _mime_type(content)
        announced = content.get("sha256") or None
        expected = _announced_digest(announced, message)
        known = await self.index.get(media_id)
        found = await asyncio.to_thread(self._already_kept, known, expected, mime_type)
        if found is not None:
            path, digest, size = found
            record = self._record(message, media_id, path, mime_type, digest, size, known)
            if record != known:
                await self.index.put(record)
            log.debug("media %s is already kept as %s", media_id, path.name)
            return record
        if client is None:
            raise PermanentError("keeping media needs the Cloud API client: set [whatsapp] "
                                 "access_token")
        partial = await asyncio.to_thread(prepare_folder, self.plan.folder)
        downloaded: Path = await client.download_media(
            media_id, partial, sha256=announced, max_bytes=self.plan.max_bytes,
            phone_number_id=message.phone_number_id)
        try:
            path, digest, size = await asyncio.to_thread(
                place, downloaded, self.plan.folder, mime_type, expected, media_id)
        finally:
            await asyncio.to_thread(downloaded.unlink, missing_ok=True)
        record = self._record(message, media_id, path, mime_type, digest, size, None)
        await self.index.put(record)
        log.debug("media %s kept as %s (%d bytes)", media_id, path.name, size)
        return record

    def _already_kept(self, known: KeptMedia | None, expected: bytes | None, mime_type: str
                      ) -> tuple[Path, bytes, int] | None:
        """A file with the right digest that is already there: under the name the digest
        gives it, or where the index says (the folder may have been another one then)."""
        wanted = expected if expected is not None else (
            bytes.fromhex(known.sha256) if known is not None else None)
        if wanted is None:
            return None
        candidates = [self.plan.folder / file_name(wanted, mime_type)]
        if known is not None and known.path not in candidates:
            candidates.append(known.path)
        for path in candidates:
            if file_digest(path) == wanted:
                return path, wanted, path.stat().st_size
        return None

    def _record(self, message: Message, media_id: str, path: Path, mime_type: str,
                digest: bytes, size: int, known: KeptMedia | None) -> KeptMedia:
        same = known is not None and known.path == path and known.sha256 == digest.hex()
        return KeptMedia(media_id=media_id, path=path, mime_type=mime_type, size=size,
                         sha256=digest.hex(), customer=message.sender or message.sender_user_id,
                         phone_number_id=message.phone_number_id,
                         kept_at=known.kept_at if same and known is not None else self.clock())


async def media_index(bot: Bot) -> MediaIndex:
    """The bot's media index, beside its store (opened on first use)."""
    async def make() -> MediaIndex:
        index = open_media_index(bot.store)
        await index.open()
        return index

    return await made_once(bot.state, INDEX_KEY, MediaIndex, make)


async def media_keeper(bot: Bot) -> MediaKeeper:
    """The bot's keeper: its folder prepared and old leftovers of downloads swept once."""
    index = await media_index(bot)

    async def make() -> MediaKeeper:
        plan = keep_plan(bot.settings.media, bot.settings.store.url)
        partial = await asyncio.to_thread(prepare_folder, plan.folder)
        if swept := await asyncio.to_thread(sweep_partials, partial):
            log.info("removed %d unfinished media download(s) from %s", swept, partial)
        return MediaKeeper(plan, index, bot.clock)

    return await made_once(bot.state, KEEPER_KEY, MediaKeeper, make)


async def keep_message_media(bot: Bot, message: Message) -> KeptMedia:
    """Keep ``message``'s file now (what the ``botkit.media`` delivery target does)."""
    keeper = await media_keeper(bot)
    return await keeper.keep(message, bot.whatsapp)


async def kept_media(bot: Bot, message: Message) -> KeptMedia | None:
    """The file botkit kept for ``message`` (with ``[media] keep = true``), or None: not a
    media message, keeping is off, the download failed for good, or the file is gone.

    A handler of the same event can rely on it: botkit keeps the file before any plugin is
    called for the message.
    """
    media_id = media_id_of(message)
    if media_id is None or not bot.settings.media.keep:
        return None
    record = await (await media_index(bot)).get(media_id)
    if record is None or not await asyncio.to_thread(record.path.is_file):
        return None
    return record


def _mime_type(content: Mapping[str, Any]) -> str:
    value = content.get("mime_type")
    return value if isinstance(value, str) and value.strip() else _DEFAULT_MIME


def _announced_digest(announced: Any, message: Message) -> bytes | None:
    """The webhook's sha256 as 32 bytes (Meta sends base64; hex is read too), or None."""
    if announced is None:
        return None
    if isinstance(announced, str):
        try:
            return digest_from(announced)
        except ValueError:
            pass
    raise PermanentError(f"message {message.id}: the {message.type}'s sha256 is neither 64 hex "
                         "digits nor base64 of 32 bytes, so its file cannot be checked; not kept")
