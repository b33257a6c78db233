"""The echo/FAQ bot as configured in botkit.toml, in conversations with a customer."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from botkit import SettingsError
from botkit.cli import load_settings
from botkit.testing import BotRunner, list_rows, make_settings, reply_buttons, reply_text
from botkit.testing.payloads import request_welcome_message

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "botkit.toml"
TABLE = tomllib.loads(SETTINGS_FILE.read_text())["plugins"]["echo-faq"]


@pytest.fixture
async def chat(bot_conversation):
    return await bot_conversation(settings_file=SETTINGS_FILE)


async def test_the_menu_lists_every_question(chat):
    await chat.send_text("Menu ")
    [menu] = await chat.replies()
    assert reply_text(menu) == "Hi Priya Raman! Pick a question and I'll answer right away."
    assert list_rows(menu) == [(f"faq:{q['id']}", q["title"]) for q in TABLE["faq"]]
    assert menu["interactive"]["action"]["button"] == "Questions"


async def test_a_picked_question_is_answered_with_buttons(chat):
    returns = next(q for q in TABLE["faq"] if q["id"] == "returns")
    await chat.pick_row("faq:returns", returns["title"], returns["description"])
    [answer] = await chat.replies()
    assert reply_text(answer) == returns["answer"]
    assert reply_buttons(answer) == [("helpful:returns", "That helped"),
                                     ("menu", "Other questions")]
    await chat.tap_button("helpful:returns", "That helped")
    assert await chat.reply_texts() == ["Glad it helped! Type menu whenever you have another "
                                        "question."]
    await chat.tap_button("menu", "Other questions")
    [menu] = await chat.replies()
    assert len(list_rows(menu)) == len(TABLE["faq"])


async def test_a_first_contact_gets_the_menu(chat):
    await chat.send_message(request_welcome_message)
    [menu] = await chat.replies()
    assert list_rows(menu)


async def test_other_text_is_echoed_and_media_ignored(chat):
    await chat.send_text("Do you sell pots?")
    await chat.send_image(caption="this one")
    await chat.react("wamid.SOMETHING", "\N{THUMBS UP SIGN}")
    assert await chat.reply_texts() == ["You said: Do you sell pots?"]


async def test_the_echo_can_be_turned_off(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["echo-faq"],
                                  plugins={"echo-faq": {**TABLE, "echo": False}})
    await chat.send_text("Do you sell pots?")
    assert await chat.replies() == []


async def test_an_unknown_row_is_left_alone(chat):
    await chat.pick_row("faq:gone", "Removed question")
    assert await chat.replies() == []


def test_the_settings_file_is_valid(monkeypatch):
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "t")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "s")
    bot = BotRunner(load_settings(str(SETTINGS_FILE))).bot  # built as `botkit serve` would
    config = bot.config("echo-faq")
    assert config["menu_words"] == tuple(TABLE["menu_words"])
    assert config["echo"] is True  # not in the file: the schema's default


def test_whatsapp_limits_are_checked_at_start(tmp_path):
    too_long = {"id": "x", "title": "A row title over 24 characters", "answer": "a"}
    table = {"faq": [too_long] + [{"id": f"q{i}", "title": "t", "answer": "a"} for i in range(10)]}
    with pytest.raises(SettingsError) as problems:
        BotRunner(make_settings(tmp_path, enabled_plugins=["echo-faq"],
                                plugins={"echo-faq": table}))
    assert "plugins.echo-faq.faq" in str(problems.value)
    assert "plugins.echo-faq.faq[0].title" in str(problems.value)


async def test_question_ids_must_be_unique(tmp_path, caplog):
    table = {"faq": [{"id": "a", "title": "t", "answer": "a"},
                     {"id": "a", "title": "u", "answer": "b"}]}
    runner = BotRunner(make_settings(tmp_path, enabled_plugins=["echo-faq"],
                                     plugins={"echo-faq": table}))
    with pytest.raises(RuntimeError, match="failed to start"):
        await runner.__aenter__()
    assert "plugins.echo-faq.faq[1].id: 'a' is used by an earlier question" in caplog.text
