"""The router examples of docs/writing-plugins.md work as written: installed as a plugin, they
answer the conversations the page describes, the dialog across a restart too."""

from __future__ import annotations

import re
from pathlib import Path

from botkit.testing import reply_buttons

WRITING_PLUGINS = Path(__file__).resolve().parents[1] / "docs" / "writing-plugins.md"


def python_blocks(section: str, level: str = "##") -> list[str]:
    """The ```python blocks of the section titled ``section``, up to the next heading."""
    text = WRITING_PLUGINS.read_text(encoding="utf-8")
    body = text.split(f"\n{level} {section}\n", 1)[1]
    body = re.split(r"\n#{2,3} ", body, maxsplit=1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)


def handlers_example() -> str:
    [module] = python_blocks("Handlers")
    return module


async def test_the_handlers_example_answers_as_described(installed_plugin, bot_conversation):
    installed_plugin("order-status", handlers_example())
    chat = await bot_conversation(enabled_plugins=["order-status"])
    await chat.send_text("where is my order 4471?")
    await chat.send_text("what about my ORDER")
    await chat.tap_button("track", "Track it")
    await chat.send_text("thanks")  # no handler wants it: no reply
    assert await chat.reply_texts() == ["Looking up order 4471 for you.",
                                        "Send me your order number and I'll look it up.",
                                        "Your parcel is on its way."]


async def test_buttons_and_the_return_dialog_work_in_the_same_plugin(installed_plugin,
                                                                     bot_conversation):
    [buttons] = python_blocks("Replies beyond text", "###")
    [dialog] = python_blocks("Dialogs: a step at a time", "###")
    source = handlers_example().replace(
        "from botkit import Message, Reply, Router",
        "from botkit import Conversation, Message, Reply, Router") + buttons + dialog
    installed_plugin("order-status", source)
    chat = await bot_conversation(enabled_plugins=["order-status"])
    await chat.send_text("Menu")
    [menu] = await chat.replies()
    assert reply_buttons(menu) == [("size-s", "Small"), ("size-l", "Large")]
    await chat.tap_button("size-l", "Large")
    assert await chat.reply_texts() == ["Size L it is."]

    await chat.send_text("return")
    await chat.send_text("4471")  # the answer to the question, not an order to look up
    ask, why = await chat.replies()
    assert ask["text"]["body"].startswith("Which order would you like to return?")
    assert [b[0] for b in reply_buttons(why)] == ["damaged", "wrong"]
    await chat.restart()
    await chat.tap_button("damaged", "It arrived damaged")
    await chat.send_text("4471")  # the dialog is over: now it is an order to look up
    assert await chat.reply_texts() == [
        "Return of order 4471 registered (It arrived damaged). A label is on its way.",
        "Looking up order 4471 for you."]
