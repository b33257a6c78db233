"""A bot that keeps inbound media: real app and store (SQLite or Redis), the fake Graph API
serving the files, a plugin that reads what was kept, and helpers to count downloads and
dispatch an event again."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from botkit import hookimpl
from botkit.dispatcher.delivery import Deliverer, Job, TargetCall
from botkit.events import Event, Message
from botkit.inbound_media import MEDIA_TARGET, KeptMedia, kept_media, media_target
from botkit.inbound_media.options import DEFAULT_MAX_BYTES
from botkit.settings import Settings
from botkit.store import open_admin
from botkit.store.admin import EventFilter
from botkit.testing import payloads
from botkit.testing.fake_graph import FakeGraphAPI
from botkit.testing.harness import BotRunner, make_settings

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 40
PDF = b"%PDF-1.7\n" + b"the signed contract, page after page\n" * 300


def sha256_of(content: bytes, form: str = "base64") -> str:
    """The digest as a webhook carries it: base64 (what Meta sends) or hex."""
    digest = hashlib.sha256(content).digest()
    return base64.b64encode(digest).decode() if form == "base64" else digest.hex()


def media_message(kind: str, media_id: str, content: bytes, mime_type: str, *,
                  sha256: str | None = None, **extra: Any) -> dict[str, Any]:
    """An inbound ``kind`` message whose file is ``content`` (its sha256 announced as Meta
    does, unless ``sha256`` says otherwise); ``extra`` adds fields such as a file name."""
    options = {k: extra.pop(k) for k in ("sender", "name", "message_id") if k in extra}
    item = {"id": media_id, "mime_type": mime_type,
            "sha256": sha256 if sha256 is not None else sha256_of(content), **extra}
    return payloads.message(kind, item, **options)


def downloads(graph: FakeGraphAPI) -> int:
    """How many times a file was fetched from its download URL."""
    return sum(1 for r in graph.requests if r.path.startswith("/media-download/"))


def graph_calls(graph: FakeGraphAPI) -> int:
    """Every request the fake received (media look-ups and downloads included)."""
    return len(graph.requests)


class MediaReader:
    """A plugin that reads the kept file of each message it is given, in the same event."""

    def __init__(self) -> None:
        self.seen: list[tuple[Message, KeptMedia | None, bytes | None]] = []
        self.failed: list[tuple[str, str]] = []

    @hookimpl
    async def message_received(self, bot: Any, message: Message) -> None:
        kept = await kept_media(bot, message)
        data = await asyncio.to_thread(kept.path.read_bytes) if kept is not None else None
        self.seen.append((message, kept, data))

    @hookimpl
    def delivery_failed(self, event: Event, plugin: str, error: BaseException) -> None:
        self.failed.append((plugin, f"{type(error).__name__}: {error}"))


@dataclass(frozen=True)
class _MediaTable:
    keep: bool = False
    folder: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class _SettingsWithMedia(Settings):
    media: Any = _MediaTable()


def settings_with_media(data_dir: Path, media: Mapping[str, Any] | None, **tables: Any
                        ) -> Settings:
    """Test settings with a ``[media]`` table. Where the settings do not read ``[media]``
    themselves yet, the table is added to them as they will hold it."""
    if "media" in {f.name for f in fields(Settings)}:
        table = {k: str(v) if isinstance(v, Path) else v for k, v in (media or {}).items()}
        return make_settings(data_dir, **({"media": table} if table else {}), **tables)
    settings = make_settings(data_dir, **tables)
    table = dict(media or {})
    folder = table.get("folder")
    table["folder"] = None if folder is None else settings.base_dir / Path(folder)
    return _SettingsWithMedia(**{f.name: getattr(settings, f.name) for f in fields(settings)},
                              media=_MediaTable(**table))


def put_media_target_first(monkeypatch: Any) -> None:
    """Run the ``botkit.media`` target first for every event, as the dispatcher does (where it
    does not do so itself yet)."""
    original = Deliverer._targets

    def targets(self: Deliverer, job: Job) -> list[tuple[str, TargetCall]]:
        found = original(self, job)
        if any(name == MEDIA_TARGET for name, _ in found):
            return found
        media = media_target(self.bot, job.stored, job.event)
        return found if media is None else [(MEDIA_TARGET, media), *found]

    monkeypatch.setattr(Deliverer, "_targets", targets)


@contextlib.asynccontextmanager
async def media_bot(data_dir: Path, graph: FakeGraphAPI, plugin: Any = None, *,
                    media: Mapping[str, Any] | None = None, **tables: Any
                    ) -> AsyncIterator[BotRunner]:
    """A running bot with ``plugin`` (when given, enabled as ``plugin``), keeping media as
    ``media`` says; other keywords are settings tables (``store``, ``dispatch``)."""
    whatsapp = {**tables.pop("whatsapp", {}), "graph_url": graph.url}
    settings = settings_with_media(data_dir, media, whatsapp=whatsapp,
                                   enabled_plugins=["plugin"] if plugin else [], **tables)
    async with BotRunner(settings, extra_plugins={"plugin": plugin} if plugin else None
                         ) as runner:
        yield runner


async def dispatch_again(runner: BotRunner, key: str) -> None:
    """Hand a settled event back to dispatch, as ``botkit events replay`` does, and wait
    until every target has run again."""
    def replay() -> int:
        admin = open_admin(runner.settings.store)
        try:
            return admin.replay(EventFilter(keys=(key,)))
        finally:
            admin.close()

    assert await asyncio.to_thread(replay) == 1
    runner.bot.store.rewind()
    runner.app.extensions["botkit.dispatcher"].wake()
    await runner.settle()


async def retry_dead_letters(runner: BotRunner, target: str) -> None:
    """Run ``target`` again where it gave up, as ``botkit dead-letters retry`` does."""
    def retry() -> int:
        admin = open_admin(runner.settings.store)
        try:
            return admin.retry_dead(target)
        finally:
            admin.close()

    assert await asyncio.to_thread(retry) >= 1
    runner.bot.store.rewind()
    runner.app.extensions["botkit.dispatcher"].wake()
    await runner.settle()


async def dead_letters(runner: BotRunner) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]]:
        admin = open_admin(runner.settings.store)
        try:
            return admin.dead_letters()
        finally:
            admin.close()

    return await asyncio.to_thread(read)
