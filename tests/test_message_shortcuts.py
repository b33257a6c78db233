"""Builders, uploads and the event shortcuts in a running bot: signed webhooks in, what the
fake Graph API received out. Replies are queued in the outbox and sent once, after the
handler; ``mark_read`` and ``download_media`` call the client at once."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from botkit import hookimpl
from botkit.events import Message
from botkit.routing import Router
from botkit.testing import payloads
from botkit.whatsapp.builders import (
    Audio,
    Buttons,
    CallPermissionRequest,
    Carousel,
    CarouselCard,
    Catalog,
    ContactCard,
    ContactPhone,
    Contacts,
    CtaUrl,
    Document,
    FlowMessage,
    Image,
    ListMessage,
    ListSection,
    Location,
    LocationRequest,
    Product,
    ProductList,
    ProductSection,
    Reaction,
    Sticker,
    Template,
    Text,
    UrlButton,
    Video,
    Voice,
)
from botkit.whatsapp.client import WhatsAppClient

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
LINK = "https://cdn.example.com/fern.jpg"
INBOUND_MEDIA_ID = "2754859441498128"
INBOUND_PHOTO = b"\xff\xd8\xff\xe0 a photo of a fern " + bytes(range(200))
LONG = "\n\n".join(f"Paragraph {n}. " + "All about ferns and how to keep them. " * 40
                   for n in range(8))


def builders(folder: Path) -> dict[str, Callable[[], Any]]:
    """One builder per message type, by the text that asks for it."""
    menu = folder / "menu.pdf"
    menu.write_bytes(b"%PDF-1.7 the menu")
    photo = folder / "fern.png"
    photo.write_bytes(PNG)
    return {
        "text": lambda: Text("Hello https://example.com", preview_url=True),
        "image": lambda: Image.by_link(LINK, caption="A fern"),
        "video": lambda: Video.by_id("1166846181421424", caption="Watering"),
        "audio": lambda: Audio.by_link("https://cdn.example.com/a.mp3"),
        "voice": lambda: Voice.by_id("1013859600285441"),
        "document": lambda: Document.by_link("https://example.com/care.pdf", filename="c.pdf"),
        "sticker": lambda: Sticker.by_id("798882015472548"),
        "buttons": lambda: Buttons("Which size?", [("s", "Small"), ("l", "Large")],
                                   header=Image.by_link(LINK), footer="Incl. tax"),
        "choices": lambda: Buttons("Pick a day", [(d, d) for d in ("Mon", "Tue", "Wed", "Thu")],
                                   list_fallback=True),
        "list": lambda: ListMessage("Shipping?", "Options", [
            ListSection("Fast", [("express", "Express", "1 day")]),
            ListSection("Cheap", [("ground", "Ground")])]),
        "cta": lambda: CtaUrl("See our dates", "See Dates", "https://example.com/dates"),
        "where": lambda: LocationRequest("Where should we deliver?"),
        "call": lambda: CallPermissionRequest("May we call you about your order?"),
        "contacts": lambda: Contacts([ContactCard("Lucky Shrub", first_name="Lucky",
                                                  phones=[ContactPhone("+1 555 0100")])]),
        "location": lambda: Location(52.52, 13.405, name="Shop", address="Main St 1"),
        "flow": lambda: FlowMessage("Book a visit", "Book", flow_id="1234567890",
                                    screen="WELCOME"),
        "carousel": lambda: Carousel("New in", [
            CarouselCard(Image.by_link(f"https://cdn.example.com/{n}.png"),
                         url_button=UrlButton("Shop", f"https://example.com/{n}"))
            for n in range(2)]),
        "catalog": lambda: Catalog("Browse our plants"),
        "product": lambda: Product("194836987003835", "fern-01"),
        "products": lambda: ProductList("Ferns", "Our ferns", "194836987003835",
                                        [ProductSection("Ferns", ["fern-01", "fern-02"])]),
        "template": lambda: Template("order_update", "en_US"),
        "menu file": lambda: Document.from_file(menu, caption="Today's menu"),
        "photo bytes": lambda: Image.from_bytes(photo.read_bytes(), mime_type="image/png"),
    }


def shop_router(folder: Path, seen: list[str]) -> Router:
    made = builders(folder)
    router = Router("shop")

    @router.message()
    async def answer(message: Message, bot: Any) -> Any:
        seen.append(message.id)
        if message.type == "image":
            data = await message.download_media()
            await message.mark_read()
            return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"
        command = message.text or ""
        if command == "react":
            await message.react("\U0001f44d")
        elif command == "unreact":
            await message.react(None)
        elif command == "read":
            await message.mark_read(typing=False)
        elif command == "long":
            items = await message.reply(LONG)
            return f"{len(items)} parts"
        elif command.startswith("reply "):
            await message.reply(made[command.removeprefix("reply ")]())
        elif command == "too many":
            return Buttons("Pick one", [(n, n) for n in ("A", "B", "C", "D")])
        elif command.startswith("send "):
            conversation = await bot.conversation()
            conversation.send(made[command.removeprefix("send ")]())
        else:
            return made[command]()
        return None

    return router


def addressed(body: dict[str, Any]) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": payloads.CUSTOMER_WA_ID, **body}


async def test_every_builder_reaches_the_graph_api(bot_conversation, tmp_path):
    chat = await bot_conversation(enabled_plugins=["shop"],
                                  extra_plugins={"shop": shop_router(tmp_path, [])})
    made = builders(tmp_path)
    for command in made:
        await chat.send_text(command)
    await chat.send_text("reply buttons")  # message.reply(builder), not a return value
    await chat.send_text("send photo bytes")  # conversation.send(builder)
    replies = await chat.replies()
    assert len(replies) == len(made) + 2
    for command, reply in zip([*made, "buttons", "photo bytes"], replies, strict=True):
        expected = made[command]().to_body()
        if command in ("menu file", "photo bytes"):
            kind = expected["type"]
            media_id = reply[kind].pop("id")
            expected[kind].pop("botkit_upload")
            stored = chat.graph.state.media[media_id].content
            assert stored == ((tmp_path / "menu.pdf").read_bytes() if kind == "document"
                              else PNG), command
        assert reply == addressed(expected), command
    uploads = [r for r in chat.graph.requests if r.path.endswith("/media")]
    assert len(uploads) == 3


class Concierge:
    """A plain plugin whose ``reply_for_message`` answers with a builder."""

    @hookimpl
    def reply_for_message(self, message: Message) -> Any:
        return Buttons("Shall we call you back?", [("yes", "Yes"), ("no", "No")])


async def test_reply_for_message_may_return_a_builder(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["concierge"],
                                  extra_plugins={"concierge": Concierge()})
    await chat.send_text("hello")
    assert await chat.replies() == [addressed(
        Buttons("Shall we call you back?", [("yes", "Yes"), ("no", "No")]).to_body())]


async def test_a_long_reply_is_sent_in_order_in_several_messages(bot_conversation, tmp_path):
    chat = await bot_conversation(enabled_plugins=["shop"],
                                  extra_plugins={"shop": shop_router(tmp_path, [])})
    await chat.send_text("long")
    texts = await chat.reply_texts()
    *parts, summary = texts
    assert summary == f"{len(parts)} parts" and len(parts) >= 3
    assert all(len(part) <= 4096 for part in parts)
    assert "".join(parts) == LONG


async def test_react_mark_read_and_download_media(bot_conversation, tmp_path):
    seen: list[str] = []
    chat = await bot_conversation(enabled_plugins=["shop"],
                                  extra_plugins={"shop": shop_router(tmp_path, seen)})
    chat.graph.add_media(INBOUND_MEDIA_ID, INBOUND_PHOTO, "image/jpeg")
    liked = await chat.send_text("react")
    unliked = await chat.send_text("unreact")
    read = await chat.send_text("read")
    photo = await chat.send_message(photo_message)
    replies = await chat.replies()
    assert replies[:2] == [
        addressed(Reaction(liked, "\U0001f44d").to_body()),
        addressed(Reaction(unliked, "").to_body())]
    digest = hashlib.sha256(INBOUND_PHOTO).hexdigest()
    assert [m["text"]["body"] for m in replies[2:]] == [f"{len(INBOUND_PHOTO)} bytes, "
                                                        f"sha256 {digest}"]
    assert await chat.read_receipts() == [read, photo]
    receipts = {r["message_id"]: r for r in chat.graph.read_receipts()}
    assert "typing_indicator" not in receipts[read]
    assert receipts[photo]["typing_indicator"] == {"type": "text"}
    assert seen == [liked, unliked, read, photo]


def photo_message(**options: Any) -> dict[str, Any]:
    """An inbound photo whose sha256 is that of the bytes the fake Graph API serves."""
    body = payloads.image_message(media_id=INBOUND_MEDIA_ID, caption="my fern", **options)
    [item] = body["entry"][0]["changes"][0]["value"]["messages"]
    item["image"]["sha256"] = base64.b64encode(hashlib.sha256(INBOUND_PHOTO).digest()).decode()
    return body


async def test_an_upload_that_keeps_failing_is_retried_by_the_dispatcher_and_sent_once(
        bot_conversation, tmp_path):
    seen: list[str] = []
    chat = await bot_conversation(enabled_plugins=["shop"],
                                  extra_plugins={"shop": shop_router(tmp_path, seen)})
    chat.graph.fail_next(6, status=503, code=2, path_contains="/media")
    asked = await chat.send_text("menu file")
    [reply] = await chat.replies(timeout=20)
    assert reply["document"]["caption"] == "Today's menu" and "id" in reply["document"]
    assert seen == [asked]  # the handler ran once; only the outbox was tried again
    attempts = [r for r in chat.graph.requests if r.path.endswith("/media")]
    assert len(attempts) == 7


class DeadLetters:
    def __init__(self) -> None:
        self.failed: list[tuple[str, str]] = []

    @hookimpl
    def delivery_failed(self, plugin: str, error: BaseException) -> None:
        self.failed.append((plugin, type(error).__name__))


async def test_a_message_meta_would_refuse_fails_the_handler_once(bot_conversation, tmp_path):
    seen: list[str] = []
    dead = DeadLetters()
    chat = await bot_conversation(enabled_plugins=["shop", "dead"],
                                  extra_plugins={"shop": shop_router(tmp_path, seen),
                                                 "dead": dead})
    asked = await chat.send_text("too many")
    assert await chat.replies() == []
    assert seen == [asked]  # a PermanentError: dead-lettered at once, not retried
    assert dead.failed == [("shop", "TooManyButtons")]


def inbound(**fields: Any) -> Message:
    return Message(key="k", field="messages", waba_id=payloads.WABA_ID,
                   phone_number_id=payloads.PHONE_NUMBER_ID, id="wamid.outside",
                   sender=payloads.CUSTOMER_WA_ID, **{"type": "text", **fields})


async def test_outside_a_handler_the_shortcuts_need_a_client(fake_graph):
    fake_graph.add_media(INBOUND_MEDIA_ID, INBOUND_PHOTO, "image/jpeg")
    photo = inbound(type="image", raw={"image": {
        "id": INBOUND_MEDIA_ID, "mime_type": "image/jpeg",
        "sha256": hashlib.sha256(INBOUND_PHOTO).hexdigest()}})
    for call in (photo.react("\U0001f44d"), photo.mark_read(), photo.download_media(),
                 photo.reply("hi")):
        with pytest.raises(RuntimeError, match="handler"):
            await call
    with pytest.raises(ValueError, match="no media"):
        await inbound().download_media(client=object())
    from botkit.testing.harness import ACCESS_TOKEN

    async with WhatsAppClient(access_token=ACCESS_TOKEN, graph_url=fake_graph.url) as client:
        assert await photo.download_media(client=client) == INBOUND_PHOTO
        await photo.mark_read(client=client)
        await photo.mark_read(client=client)  # marking twice is harmless
        result = await photo.react("\U0001f525", client=client)
    assert result.message_id.startswith("wamid.")
    assert fake_graph.sent_messages() == [addressed(Reaction("wamid.outside", "\U0001f525")
                                                    .to_body())]
    assert [r["message_id"] for r in fake_graph.read_receipts()] == ["wamid.outside"] * 2
