"""docs/messages.md stays true: its examples run as written (the handlers in a running bot),
and every builder and every error is documented."""

from __future__ import annotations

import base64
import hashlib
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from botkit.testing import payloads
from botkit.whatsapp import builders
from botkit.whatsapp.builders import MessageBuilder, MessageBuildError
from botkit.whatsapp.client import WhatsAppClient

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDE = (DOCS / "messages.md").read_text(encoding="utf-8")
PHOTO_ID = "1479537139650973"
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


@pytest.fixture
def guide(tmp_path, monkeypatch) -> dict[str, Any]:
    """The guide's blocks run in order as one module, in a folder with the files they name."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "price-list.pdf").write_bytes(b"%PDF-1.7 prices")
    (tmp_path / "catalog.pdf").write_bytes(b"%PDF-1.7 catalog")
    module = types.ModuleType("messages_guide")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = vars(module)
    for block in python_blocks(GUIDE):
        exec(compile(block, "docs/messages.md", "exec", dont_inherit=True), namespace)
    return namespace


def test_every_builder_and_error_is_documented():
    for name in builders.__all__:
        value = getattr(builders, name)
        if inspect.isclass(value) and issubclass(value, MessageBuilder | MessageBuildError) and (
                value not in (MessageBuilder, builders.MediaMessage)):
            assert f"`{name}" in GUIDE or f"{name}(" in GUIDE, f"{name} not in docs/messages.md"


def test_the_examples_build_what_they_say(guide):
    assert guide["sizes"].to_body()["interactive"]["type"] == "button"
    assert guide["days"].to_body()["interactive"]["type"] == "list"
    assert guide["from_file"].to_body()["document"]["filename"] == "price-list.pdf"
    assert guide["arrivals"].to_body()["interactive"]["type"] == "carousel"
    assert guide["undo"].to_body()["reaction"]["emoji"] == ""
    built = [value for value in guide.values() if isinstance(value, MessageBuilder)]
    assert len(built) >= 25 and all(value.to_body()["type"] for value in built)


async def test_the_upload_example_runs(guide, fake_graph):
    from botkit.testing.harness import ACCESS_TOKEN

    async with WhatsAppClient(access_token=ACCESS_TOKEN, graph_url=fake_graph.url) as client:
        await guide["upload_catalog"](types.SimpleNamespace(whatsapp=client), "106540352242922")
    [sent] = fake_graph.sent_messages()
    assert sent["document"]["filename"] == "Catalog 2026.pdf"
    assert fake_graph.state.media == {}  # deleted after sending


def photo_message(**options: Any) -> dict[str, Any]:
    body = payloads.image_message(media_id=PHOTO_ID, **options)
    [item] = body["entry"][0]["changes"][0]["value"]["messages"]
    item["image"]["sha256"] = base64.b64encode(hashlib.sha256(PHOTO).digest()).decode()
    return body


async def test_the_handlers_answer_as_the_guide_says(guide, bot_conversation):
    chat = await bot_conversation(enabled_plugins=["planters"],
                                  extra_plugins={"planters": guide["router"]})
    chat.graph.add_media(PHOTO_ID, PHOTO, "image/jpeg")
    await chat.send_text("Menu")
    photo, sizes = await chat.replies()
    assert photo["image"]["caption"] == "Our fern of the week"
    assert sizes["interactive"]["action"]["buttons"][1]["reply"] == {"id": "size-l",
                                                                     "title": "Large"}
    thanked = await chat.send_text("thanks")
    reaction, answer = await chat.replies()
    assert reaction["reaction"] == {"message_id": thanked, "emoji": "❤️"}
    assert answer["text"]["body"] == "You're welcome!"
    assert await chat.read_receipts() == [thanked]
    await chat.send_message(photo_message)
    assert await chat.reply_texts() == [f"Nice photo ({len(PHOTO) // 1024} KB)!"]
