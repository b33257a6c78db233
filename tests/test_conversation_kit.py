"""The conversation kit: a plugin test reads like a chat, through the real app on a loopback
server, with signed webhooks in and the fake Graph API's records out."""

from __future__ import annotations

import pytest

from botkit import hookimpl
from botkit.testing import list_rows, reply_buttons, reply_text
from botkit.testing.conversation import conversation

MENU = {
    "type": "interactive",
    "interactive": {
        "type": "button", "body": {"text": "Pick a size"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "size-s", "title": "Small"}},
                               {"type": "reply", "reply": {"id": "size-l", "title": "Large"}}]},
    },
}


class Shop:
    """Echoes text, offers sizes on "menu", confirms a tapped size, notes statuses."""

    def __init__(self) -> None:
        self.statuses: list[tuple[str, str]] = []
        self.stopped = False

    @hookimpl
    def reply_for_message(self, message):
        if message.type == "interactive":
            return f"You picked {message.text} ({message.reply_id})"
        if message.text == "menu":
            return MENU
        if message.type == "text":
            return f"echo: {message.text}"
        return None

    @hookimpl
    def status_received(self, status) -> None:
        self.statuses.append((status.id, status.status))

    @hookimpl
    def shutdown(self) -> None:
        self.stopped = True


async def test_a_plugin_test_reads_like_a_conversation(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": Shop()})
    await chat.send_text("hi")
    assert await chat.reply_texts() == ["echo: hi"]
    await chat.send_text("menu")
    [menu] = await chat.replies()
    assert reply_text(menu) == "Pick a size"
    assert reply_buttons(menu) == [("size-s", "Small"), ("size-l", "Large")]
    await chat.tap_button(*reply_buttons(menu)[1])
    assert await chat.reply_texts() == ["You picked Large (size-l)"]
    assert await chat.replies() == []  # each reply is handed out once


async def test_replies_are_what_the_graph_api_received(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": Shop()})
    wamid = await chat.send_text("caf\N{LATIN SMALL LETTER E WITH ACUTE} https://x.example/a")
    [reply] = await chat.replies()
    assert reply["to"] == chat.customer and reply["messaging_product"] == "whatsapp"
    assert reply["text"]["body"] == "echo: caf\N{LATIN SMALL LETTER E WITH ACUTE} " \
                                    "https://x.example/a"
    [request] = [r for r in chat.graph.requests if r.json == reply]
    assert request.path.endswith(f"/{chat.phone_number_id}/messages")
    assert wamid.startswith("wamid.")


async def test_each_customer_sees_only_their_replies(bot_conversation):
    priya = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": Shop()})
    jonas = priya.with_customer("4915550123456", "Jonas Weber")
    await priya.send_text("one")
    await jonas.send_text("two")
    await priya.send_text("three")
    assert await jonas.reply_texts() == ["echo: two"]
    assert await priya.reply_texts() == ["echo: one", "echo: three"]


async def test_statuses_of_sent_messages_reach_the_plugin(bot_conversation):
    shop = Shop()
    chat = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": shop})
    await chat.report_status("wamid.SENT1", "delivered")
    await chat.report_status("wamid.SENT1", "read")
    await chat.settle()
    assert shop.statuses == [("wamid.SENT1", "delivered"), ("wamid.SENT1", "read")]


async def test_an_installed_plugin_with_settings(bot_conversation, installed_plugin):
    installed_plugin("greeter", '''
from botkit import hookimpl

@hookimpl
def reply_for_message(bot, message):
    return bot.config("greeter")["greeting"].format(name=message.contact.name)

@hookimpl
async def message_received(bot, message):
    await bot.whatsapp.mark_read(message.phone_number_id, message.id)
''', schema={"type": "object", "additionalProperties": False, "required": ["greeting"],
             "properties": {"greeting": {"type": "string"}}})
    chat = await bot_conversation(enabled_plugins=["greeter"],
                                  plugins={"greeter": {"greeting": "Hello {name}!"}})
    wamid = await chat.send_text("hi")
    assert await chat.reply_texts() == ["Hello Priya Raman!"]
    assert await chat.read_receipts() == [wamid]


async def test_the_bot_can_be_taken_from_a_settings_file(tmp_path):
    (tmp_path / "botkit.toml").write_text('enabled_plugins = ["shop"]\n\n[plugins.shop]\n')
    shop = Shop()
    async with conversation(settings_file=tmp_path / "botkit.toml",
                            extra_plugins={"shop": shop}) as chat:
        assert chat.bot.plugins.names == ("shop",)
        await chat.send_text("from the file")
        assert await chat.reply_texts() == ["echo: from the file"]
    assert shop.stopped  # leaving the block stops the bot


async def test_a_refused_webhook_fails_the_test(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": Shop()})
    chat.runner.app_secret = "not-the-app-secret"
    with pytest.raises(AssertionError, match="answered 403"):
        await chat.send_text("hi")


async def test_graph_failures_are_retried_and_replied_once(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["shop"], extra_plugins={"shop": Shop()})
    chat.graph.fail_next(2, status=503, retry_after=0)
    await chat.send_text("still there?")
    assert await chat.reply_texts() == ["echo: still there?"]


def test_reply_helpers_read_every_kind_of_reply():
    listing = {"type": "interactive", "interactive": {
        "type": "list", "body": {"text": "Topics"},
        "action": {"button": "Open", "sections": [
            {"title": "A", "rows": [{"id": "a1", "title": "Alpha"}]},
            {"title": "B", "rows": [{"id": "b1", "title": "Beta"}, {"id": "b2", "title": "Gamma"}]},
        ]}}}
    assert list_rows(listing) == [("a1", "Alpha"), ("b1", "Beta"), ("b2", "Gamma")]
    assert reply_text(listing) == "Topics" and reply_buttons(listing) == []
    image = {"type": "image", "image": {"link": "https://x.example/a.png", "caption": "Look"}}
    assert reply_text(image) == "Look"
    assert reply_text({"type": "document", "document": {"id": "1"}}) == "[document]"
    assert reply_text({"type": "template", "template": {"name": "order_update"}}) == \
        "[template order_update]"
    assert reply_text({"type": "reaction", "reaction": {"message_id": "w", "emoji": "x"}}) == "x"
