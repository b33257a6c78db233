"""Keeping inbound media in a running bot: signed webhooks in, files fetched over real HTTP from
the fake Graph API, kept on disk and indexed in the real store (SQLite and Redis)."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from media_kit import (
    PDF,
    PHOTO,
    MediaReader,
    dead_letters,
    dispatch_again,
    downloads,
    graph_calls,
    media_bot,
    media_message,
    put_media_target_first,
    retry_dead_letters,
    sha256_of,
)
from samples import REDIS_URL

from botkit import Message, PermanentError, hookimpl
from botkit.inbound_media import MEDIA_TARGET, kept_media, media_index
from botkit.inbound_media.keeping import media_keeper
from botkit.testing import payloads

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"frames " * 500
VOICE = b"OggS\x00\x02" + b"opus voice " * 300
STICKER = b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(range(100))
KINDS = [  # type, MIME type as Meta sends it, bytes, the kept file's extension
    ("image", "image/jpeg", PHOTO, ".jpg"),
    ("document", "application/pdf", PDF, ".pdf"),
    ("video", "video/mp4", VIDEO, ".mp4"),
    ("audio", "audio/ogg; codecs=opus", VOICE, ".ogg"),
    ("sticker", "image/webp", STICKER, ".webp"),
]
KEPT_NAME = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,10}$")


@pytest.fixture(autouse=True)
def media_first(monkeypatch):
    put_media_target_first(monkeypatch)


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path, redis_prefix) -> tuple[dict[str, Any], Path]:
    """(settings tables, media folder): SQLite keeps files beside its file by default, Redis
    needs a folder."""
    if request.param == "sqlite":
        return {"media": {"keep": True}}, tmp_path / "bot" / "media"
    folder = tmp_path / "kept"
    return {"media": {"keep": True, "folder": folder},
            "store": {"url": f"{REDIS_URL}?prefix={redis_prefix}&partitions=2"}}, folder


def kept_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.exists() else []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_every_kind_of_media_is_kept_once_with_its_bytes_and_owner_only(
        tmp_path, fake_graph, store):
    tables, folder = store
    reader = MediaReader()
    async with media_bot(tmp_path / "bot", fake_graph, reader, **tables) as runner:
        for kind, mime_type, content, _ in KINDS:
            media_id = payloads.new_media_id()
            fake_graph.add_media(media_id, content, mime_type)
            response = await runner.post(media_message(kind, media_id, content, mime_type))
            assert response.status_code == 200
        await runner.settle()
        assert downloads(fake_graph) == len(KINDS)
        index = await media_index(runner.bot)
        for (kind, mime_type, content, extension), (message, kept, data) in zip(
                KINDS, reader.seen, strict=True):
            path = folder / f"{hashlib.sha256(content).hexdigest()}{extension}"
            assert path.read_bytes() == content, kind
            assert mode(path) == 0o600, kind
            assert kept is not None and kept.path == path and data == content, kind
            assert (kept.mime_type, kept.size, kept.sha256) == (
                mime_type, len(content), hashlib.sha256(content).hexdigest())
            assert kept.customer == payloads.CUSTOMER_WA_ID
            assert kept.phone_number_id == payloads.PHONE_NUMBER_ID
            assert kept.kept_at == pytest.approx(time.time(), abs=60)
            assert await index.get(message.content["id"]) == kept
    assert len(kept_files(folder)) == len(KINDS)
    assert mode(folder) == 0o700 and mode(folder / ".partial") == 0o700
    assert kept_files(folder / ".partial") == []


async def test_a_handler_of_the_same_message_reads_the_kept_file(tmp_path, fake_graph):
    class Describer:
        @hookimpl
        async def reply_for_message(self, bot: Any, message: Message) -> str | None:
            kept = await kept_media(bot, message)
            if kept is None:
                return "nothing kept"
            data = kept.path.read_bytes()
            return f"{message.type}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"

    fake_graph.add_media("4411", PDF, "application/pdf")
    async with media_bot(tmp_path, fake_graph, Describer(), media={"keep": True}) as runner:
        await runner.post(media_message("document", "4411", PDF, "application/pdf",
                                        filename="contract.pdf"))
        await runner.settle()
    [reply] = fake_graph.sent_messages()
    assert reply["text"]["body"] == (
        f"document: {len(PDF)} bytes, sha256 {hashlib.sha256(PDF).hexdigest()}")


async def test_a_wrong_sha256_is_retried_then_becomes_a_dead_letter(tmp_path, fake_graph):
    reader = MediaReader()
    fake_graph.add_media("5501", PHOTO, "image/jpeg")
    async with media_bot(tmp_path, fake_graph, reader, media={"keep": True},
                         dispatch={"max_attempts": 3}) as runner:
        await runner.post(media_message("image", "5501", PHOTO, "image/jpeg",
                                        sha256=sha256_of(b"another picture")))
        await runner.settle()
        letters = await dead_letters(runner)
    assert downloads(fake_graph) == 3
    [letter] = letters
    assert letter["plugin"] == MEDIA_TARGET and letter["attempts"] == 3
    assert "failed its sha256 check" in letter["error"]
    [(plugin, error)] = reader.failed
    assert plugin == MEDIA_TARGET and "sha256" in error
    [(message, kept, data)] = reader.seen  # the plugins still get the message
    assert message.type == "image" and kept is None and data is None
    assert kept_files(tmp_path / "media") == []
    assert kept_files(tmp_path / "media" / ".partial") == []


async def test_a_failed_download_is_retried_and_the_file_kept(tmp_path, fake_graph):
    reader = MediaReader()
    fake_graph.add_media("5502", PHOTO, "image/jpeg")
    fake_graph.fail_next(1, status=400, path_contains="/media-download/")
    async with media_bot(tmp_path, fake_graph, reader, media={"keep": True}) as runner:
        await runner.post(media_message("image", "5502", PHOTO, "image/jpeg"))
        await runner.settle()
        assert await dead_letters(runner) == []
    assert downloads(fake_graph) == 2
    [(_, kept, data)] = reader.seen
    assert kept is not None and data == PHOTO


async def test_retrying_the_dead_letter_keeps_the_file_without_running_plugins_again(
        tmp_path, fake_graph):
    reader = MediaReader()
    fake_graph.add_media("5503", PHOTO, "image/jpeg")
    fake_graph.fail_next(2, status=404, path_contains="/media-download/")
    async with media_bot(tmp_path, fake_graph, reader, media={"keep": True},
                         dispatch={"max_attempts": 2}) as runner:
        await runner.post(media_message("image", "5503", PHOTO, "image/jpeg"))
        await runner.settle()
        [letter] = await dead_letters(runner)
        assert letter["plugin"] == MEDIA_TARGET
        await retry_dead_letters(runner, MEDIA_TARGET)
        assert await dead_letters(runner) == []
        [(message, kept, _)] = reader.seen  # the plugin was not called again
        assert kept is None
        again = await kept_media(runner.bot, message)
    assert again is not None and again.path.read_bytes() == PHOTO
    assert downloads(fake_graph) == 3


async def test_an_event_dispatched_again_does_not_download_again(tmp_path, fake_graph, store):
    tables, folder = store
    reader = MediaReader()
    fake_graph.add_media("6601", PHOTO, "image/jpeg")
    body = media_message("image", "6601", PHOTO, "image/jpeg")
    async with media_bot(tmp_path / "bot", fake_graph, reader, **tables) as runner:
        await runner.post(body)
        await runner.settle()
        [(message, kept, _)] = reader.seen
        assert kept is not None and downloads(fake_graph) == 1
        calls = graph_calls(fake_graph)

        await runner.post(body)  # Meta delivers it again: acknowledged, not dispatched
        await runner.settle()
        await dispatch_again(runner, message.key)  # replayed: every target runs again
        assert len(reader.seen) == 2 and reader.seen[1][2] == PHOTO
        assert graph_calls(fake_graph) == calls  # not even a look-up of the URL

        kept.path.unlink()  # the file went missing: fetched again
        assert await kept_media(runner.bot, message) is None
        await dispatch_again(runner, message.key)
        assert downloads(fake_graph) == 2 and kept.path.read_bytes() == PHOTO

        kept.path.write_bytes(b"damaged")  # a damaged copy is replaced
        await dispatch_again(runner, message.key)
        assert downloads(fake_graph) == 3 and kept.path.read_bytes() == PHOTO
        assert mode(kept.path) == 0o600
        again = reader.seen[-1][1]
        assert again is not None and again.kept_at > kept.kept_at  # kept anew
        assert (again.path, again.sha256, again.size) == (kept.path, kept.sha256, kept.size)
    assert kept_files(folder) == [kept.path]


async def test_the_same_file_in_two_messages_is_downloaded_once(tmp_path, fake_graph):
    reader = MediaReader()
    fake_graph.add_media("7701", PHOTO, "image/jpeg")
    fake_graph.add_media("7702", PHOTO, "image/jpeg")  # forwarded: a new id, the same bytes
    async with media_bot(tmp_path, fake_graph, reader, media={"keep": True}) as runner:
        await runner.post(media_message("image", "7701", PHOTO, "image/jpeg"))
        await runner.settle()
        await runner.post(media_message("image", "7702", PHOTO, "image/jpeg",
                                        sender="5491155502222", name="Otro Cliente"))
        await runner.settle()
    assert downloads(fake_graph) == 1
    first, second = (kept for _, kept, _ in reader.seen)
    assert first is not None and second is not None and first.path == second.path
    assert (first.media_id, second.media_id) == ("7701", "7702")
    assert second.customer == "5491155502222"


async def test_keep_false_downloads_nothing(tmp_path, fake_graph):
    reader = MediaReader()
    fake_graph.add_media("8801", PHOTO, "image/jpeg")
    folder = tmp_path / "wanted"
    for media in (None, {"keep": False, "folder": folder}):
        async with media_bot(tmp_path, fake_graph, reader, media=media) as runner:
            await runner.post(media_message("image", "8801", PHOTO, "image/jpeg",
                                            message_id=payloads.new_wamid()))
            await runner.settle()
    assert [kept for _, kept, _ in reader.seen] == [None, None]
    assert fake_graph.requests == []
    assert not (tmp_path / "media").exists() and not folder.exists()


async def test_file_names_never_carry_customer_data(tmp_path, fake_graph):
    customer, name = "5511955501234", "Ana Souza"
    filename = f"{name} passport {customer}.pdf"
    fake_graph.add_media("9901", PDF, "application/pdf")
    fake_graph.add_media("9902", PHOTO, "../../Ana Souza/x")  # a MIME type no one should trust
    reader = MediaReader()
    async with media_bot(tmp_path, fake_graph, reader, media={"keep": True}) as runner:
        await runner.post(media_message("document", "9901", PDF, "application/pdf",
                                        filename=filename, caption="my passport",
                                        sender=customer, name=name))
        await runner.post(media_message("document", "9902", PHOTO, "../../Ana Souza/x",
                                        filename="../../../etc/passwd", sender=customer,
                                        name=name))
        await runner.settle()
    names = [p.name for p in kept_files(tmp_path / "media")]
    assert sorted(names) == sorted([f"{hashlib.sha256(PDF).hexdigest()}.pdf",
                                    f"{hashlib.sha256(PHOTO).hexdigest()}.bin"])
    everything = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")]
    for path in everything:
        for secret in (customer, "Ana", "Souza", "passport", "passwd"):
            assert secret not in path
    assert all(KEPT_NAME.match(n) for n in names)
    assert [kept.customer for _, kept, _ in reader.seen if kept] == [customer, customer]


async def test_a_file_over_max_bytes_is_not_kept(tmp_path, fake_graph):
    reader = MediaReader()
    fake_graph.add_media("1201", PDF, "application/pdf")
    async with media_bot(tmp_path, fake_graph, reader,
                         media={"keep": True, "max_bytes": 1000},
                         dispatch={"max_attempts": 2}) as runner:
        await runner.post(media_message("document", "1201", PDF, "application/pdf"))
        await runner.settle()
        [letter] = await dead_letters(runner)
    assert letter["plugin"] == MEDIA_TARGET and "larger than the limit of 1000" in letter["error"]
    assert kept_files(tmp_path / "media") == []


async def test_without_a_cloud_api_client_keeping_fails_at_once_with_a_clear_error(
        tmp_path, fake_graph):
    async with media_bot(tmp_path, fake_graph, media={"keep": True}) as runner:
        keeper = await media_keeper(runner.bot)
        message = Message(key="m:1", field="messages", waba_id=payloads.WABA_ID,
                          id=payloads.new_wamid(), type="image",
                          raw={"image": {"id": "1301", "mime_type": "image/jpeg",
                                         "sha256": sha256_of(PHOTO)}})
        with pytest.raises(PermanentError, match=r"set \[whatsapp\] access_token"):
            await keeper.keep(message, None)
    assert fake_graph.requests == []


async def test_a_webhook_sha256_that_cannot_be_read_is_a_permanent_failure(tmp_path, fake_graph):
    fake_graph.add_media("1401", PHOTO, "image/jpeg")
    async with media_bot(tmp_path, fake_graph, MediaReader(), media={"keep": True}) as runner:
        await runner.post(media_message("image", "1401", PHOTO, "image/jpeg",
                                        sha256="not-a-digest"))
        await runner.settle()
        [letter] = await dead_letters(runner)
    assert letter["attempts"] == 1 and "neither 64 hex digits nor base64" in letter["error"]
    assert downloads(fake_graph) == 0


async def test_leftovers_of_stopped_downloads_are_swept_at_start(tmp_path, fake_graph):
    partial = tmp_path / "media" / ".partial"
    partial.mkdir(parents=True)
    stale, fresh = partial / "0a1b.jpg", partial / "2c3d.jpg"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"a download under way")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    fake_graph.add_media("1501", PHOTO, "image/jpeg")
    async with media_bot(tmp_path, fake_graph, MediaReader(), media={"keep": True}) as runner:
        await runner.post(media_message("image", "1501", PHOTO, "image/jpeg"))
        await runner.settle()
    assert not stale.exists() and fresh.exists()
    assert len(kept_files(tmp_path / "media")) == 1
