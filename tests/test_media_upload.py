"""Media upload over real HTTP: multipart to the fake Graph API, checked locally first, then
sent by id; builders with local files are uploaded by the client right before the send."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botkit.testing.fake_graph import FakeGraphAPI
from botkit.testing.fake_graph.media_upload import form_parts
from botkit.whatsapp.builders import (
    Buttons,
    Carousel,
    CarouselCard,
    Document,
    EmptyMedia,
    Image,
    InvalidMedia,
    MediaFileNotFound,
    MediaTooLarge,
    Sticker,
    UnknownMediaType,
    UnsupportedMediaType,
    UrlButton,
    Voice,
)
from botkit.whatsapp.client import WhatsAppClient
from botkit.whatsapp.errors import InvalidRequest
from botkit.whatsapp.media_types import KB, MB

TOKEN = "upload-test-token-0123456789"
PNID = "106540352242922"
USER = "16505551234"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4 + b"\r\n--boundary?\r\n\n"


def webp(size: int, *, animated: bool) -> bytes:
    flags = b"\x02" if animated else b"\x00"
    head = b"RIFF" + (size - 8).to_bytes(4, "little") + b"WEBP" + b"VP8X" + b"\x0a\0\0\0" + flags
    return head + b"\0" * (size - len(head))


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphAPI]:
    async with FakeGraphAPI(access_token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def client(graph: FakeGraphAPI) -> AsyncIterator[WhatsAppClient]:
    async with WhatsAppClient(access_token=TOKEN, graph_url=graph.url) as wa:
        yield wa


def calls(graph: FakeGraphAPI) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in graph.requests]


async def test_an_upload_is_multipart_and_the_media_is_then_sent_by_id(graph, client, tmp_path):
    media_id = await client.upload_media(PNID, PNG, "image/png")
    [upload] = graph.requests
    assert (upload.method, upload.path, upload.bearer) == ("POST", f"/v23.0/{PNID}/media", TOKEN)
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = form_parts(upload)
    assert parts is not None and set(parts) == {"messaging_product", "type", "file"}
    assert parts["messaging_product"].get_payload(decode=True) == b"whatsapp"
    assert parts["type"].get_payload(decode=True) == b"image/png"
    assert parts["file"].get_content_type() == "image/png"
    assert parts["file"].get_payload(decode=True) == PNG
    assert graph.state.media[media_id].content == PNG

    result = await client.send(PNID, USER, Image.by_id(media_id, caption="Our ferns"))
    [sent] = graph.sent_messages()
    assert sent["image"] == {"id": media_id, "caption": "Our ferns"}
    assert result.message_id.startswith("wamid.")
    downloaded = await client.download_media(media_id, tmp_path)
    assert downloaded.read_bytes() == PNG


async def test_paths_and_streams_are_uploaded_with_their_names(graph, client, tmp_path):
    path = tmp_path / "price list.pdf"
    path.write_bytes(b"%PDF-1.7 prices")
    from_path = await client.upload_media(PNID, path)
    with path.open("rb") as stream:
        from_stream = await client.upload_media(PNID, stream)
    from_buffer = await client.upload_media(PNID, io.BytesIO(b"plain"), filename="notes.txt")
    for request, name, mime in zip(graph.requests, ["price list.pdf", "price list.pdf",
                                                    "notes.txt"],
                                   ["application/pdf", "application/pdf", "text/plain"],
                                   strict=True):
        parts = form_parts(request)
        assert parts is not None
        assert parts["file"].get_filename() == name
        assert parts["type"].get_payload(decode=True) == mime.encode()
    assert graph.state.media[from_path].content == graph.state.media[from_stream].content
    assert graph.state.media[from_buffer].content == b"plain"


async def test_delete_media(graph, client):
    media_id = await client.upload_media(PNID, PNG, "image/png")
    await client.delete_media(media_id, phone_number_id=PNID)
    assert media_id not in graph.state.media
    assert graph.requests[-1].query == {"phone_number_id": PNID}
    with pytest.raises(InvalidRequest, match="does not exist"):
        await client.delete_media(media_id)


@pytest.mark.parametrize(("source", "options", "error", "says"), [
    ("missing.png", {}, MediaFileNotFound, "does not exist"),
    (PNG, {}, UnknownMediaType, "mime_type"),
    (b"GIF89a", {"mime_type": "image/gif"}, UnsupportedMediaType, "image/jpeg, image/png"),
    (b"\0" * (5 * MB + 1), {"mime_type": "image/png"}, MediaTooLarge, "5 MB"),
    (b"", {"mime_type": "image/png"}, EmptyMedia, "no bytes"),
    (webp(100 * KB + 1, animated=False), {"mime_type": "image/webp"}, MediaTooLarge, "100 KB"),
    (webp(500 * KB + 1, animated=True), {"mime_type": "image/webp"}, MediaTooLarge, "500 KB"),
    (b"ID3", {"mime_type": "audio/mpeg", "kind": "voice"}, UnsupportedMediaType, "audio/ogg"),
    (b"%PDF", {"mime_type": "application/pdf", "kind": "gif"}, UnsupportedMediaType, "kind"),
    (b"\0" * (16 * MB + 1), {"filename": "clip.mp4"}, MediaTooLarge, "16 MB"),
], ids=["no such file", "no MIME type", "GIF", "image over 5 MB", "empty", "static sticker",
        "animated sticker", "voice is OGG", "unknown kind", "video over 16 MB"])
async def test_files_meta_would_refuse_are_refused_before_any_graph_call(
        graph, client, tmp_path, source, options, error, says):
    if isinstance(source, str):
        source = tmp_path / source
    with pytest.raises(error, match=says):
        await client.upload_media(PNID, source, **options)
    assert graph.requests == []


async def test_an_animated_sticker_may_be_larger_than_a_static_one(graph, client):
    media_id = await client.upload_media(PNID, webp(300 * KB, animated=True), "image/webp")
    assert len(graph.state.media[media_id].content) == 300 * KB
    with pytest.raises(MediaTooLarge):
        Sticker.from_bytes(webp(300 * KB, animated=False), mime_type="image/webp")


async def test_a_builder_with_a_local_file_is_uploaded_then_sent(graph, client, tmp_path):
    path = tmp_path / "menu.pdf"
    path.write_bytes(b"%PDF-1.7 today's menu")
    await client.send(PNID, USER, Document.from_file(path, caption="Menu"))
    assert calls(graph) == [("POST", f"/v23.0/{PNID}/media"), ("POST", f"/v23.0/{PNID}/messages")]
    [sent] = graph.sent_messages()
    media_id = sent["document"]["id"]
    assert sent["document"] == {"id": media_id, "caption": "Menu", "filename": "menu.pdf"}
    assert graph.state.media[media_id].content == path.read_bytes()


async def test_a_header_and_repeated_media_are_uploaded_once_each(graph, client):
    picture = Image.from_bytes(PNG, mime_type="image/png")
    cards = [CarouselCard(picture, url_button=UrlButton("Shop", f"https://example.com/{n}"))
             for n in range(3)]
    await client.send(PNID, USER, Carousel("Three of a kind", cards))
    await client.send(PNID, USER, Buttons("Nice?", [("y", "Yes")], header=picture))
    assert [path for _, path in calls(graph)].count(f"/v23.0/{PNID}/media") == 2
    carousel, buttons = graph.sent_messages()
    ids = {c["header"]["image"]["id"] for c in carousel["interactive"]["action"]["cards"]}
    assert len(ids) == 1 and "botkit_upload" not in str(carousel)
    assert buttons["interactive"]["header"]["image"]["id"] in graph.state.media


async def test_a_failed_or_lost_upload_is_retried_and_the_message_sent_once(graph, client):
    graph.fail_next(1, status=500, code=131000, path_contains="/media")
    graph.drop_next(1, path_contains="/media")
    await client.send(PNID, USER, Voice.from_bytes(b"OggS voice", mime_type="audio/ogg"))
    assert [path for _, path in calls(graph)] == [f"/v23.0/{PNID}/media"] * 3 + [
        f"/v23.0/{PNID}/messages"]
    [sent] = graph.sent_messages()
    assert sent["audio"]["voice"] is True and sent["audio"]["id"] in graph.state.media


async def test_a_refused_upload_sends_nothing(graph, client):
    graph.fail_next(1, status=400, code=100, path_contains="/media")
    with pytest.raises(InvalidRequest):
        await client.send(PNID, USER, Image.from_bytes(PNG, mime_type="image/png"))
    assert calls(graph) == [("POST", f"/v23.0/{PNID}/media")]


async def test_a_file_gone_by_send_time_is_a_named_error(graph, client, tmp_path):
    path = tmp_path / "gone.png"
    path.write_bytes(PNG)
    image = Image.from_file(path)
    path.unlink()
    with pytest.raises(MediaFileNotFound) as caught:
        await client.send(PNID, USER, image)
    assert isinstance(caught.value, InvalidMedia) and isinstance(caught.value, ValueError)
    assert graph.requests == []


def test_the_mime_type_comes_from_the_file_name(tmp_path: Path):
    for name, mime in [("a.JPG", "image/jpeg"), ("b.ogg", "audio/ogg"),
                       ("c.xlsx", "application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")]:
        path = tmp_path / name
        path.write_bytes(b"data")
        kind = {"image/jpeg": Image, "audio/ogg": Voice}.get(mime, Document)
        assert kind.from_file(path).media.mime_type == mime  # type: ignore[union-attr]


@pytest.mark.parametrize(("form", "files", "says"), [
    ({"type": "image/png"}, {"file": ("a.png", PNG, "image/png")}, "messaging_product"),
    ({"messaging_product": "whatsapp"}, {"file": ("a.png", PNG, "image/png")}, "type"),
    ({"messaging_product": "whatsapp", "type": "image/png"},
     {"thumbnail": ("a.png", PNG, "image/png")}, "file"),
    ({"messaging_product": "whatsapp", "type": "image/png"}, {"file": ("a.png", b"", "image/png")},
     "empty"),
], ids=["no messaging_product", "no type", "no file", "empty file"])
async def test_the_fake_refuses_uploads_as_meta_does(graph, form, files, says):
    import httpx

    async with httpx.AsyncClient(base_url=graph.url,
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        response = await http.post(f"/v23.0/{PNID}/media", data=form, files=files)
        as_json = await http.post(f"/v23.0/{PNID}/media", json={"messaging_product": "whatsapp"})
    assert response.status_code == 400 and says in response.json()["error"]["error_data"][
        "details"]
    assert as_json.status_code == 400 and "multipart" in as_json.text
    assert graph.state.media == {}
