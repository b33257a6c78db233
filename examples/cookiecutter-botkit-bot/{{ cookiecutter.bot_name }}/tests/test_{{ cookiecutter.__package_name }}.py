"""{{ cookiecutter.bot_name }} as configured in botkit.toml: signed webhooks in, what the bot sent
through the fake Graph API out (fixtures from botkit.testing, loaded by botkit's pytest plugin)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from botkit.cli import load_settings
from botkit.testing import BotRunner, reply_buttons, reply_text
from botkit.testing.payloads import request_welcome_message

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "botkit.toml"
TABLE = tomllib.loads(SETTINGS_FILE.read_text())["plugins"]["{{ cookiecutter.bot_name }}"]
MENU = [("hours", "Opening hours"), ("contact", "Talk to us")]
WAYS = [("call", "Call me"), ("write", "Write to me here")]


@pytest.fixture(autouse=True)
def data_in_tmp(tmp_path, monkeypatch):
    """The plugins keep their files under ./botkit-data: keep them out of the project."""
    monkeypatch.chdir(tmp_path)


async def test_the_menu_and_its_buttons(bot_conversation):
    chat = await bot_conversation(settings_file=SETTINGS_FILE)
    await chat.send_message(request_welcome_message)  # a first contact
    await chat.send_text("Menu")
    assert [reply_buttons(menu) for menu in await chat.replies()] == [MENU, MENU]
    await chat.tap_button("hours", "Opening hours")
    assert await chat.reply_texts() == [TABLE["hours"]]


async def test_a_question_in_two_steps_survives_restarts_and_redeliveries(bot_conversation):
    chat = await bot_conversation(settings_file=SETTINGS_FILE)
    await chat.tap_button("contact", "Talk to us")
    assert await chat.reply_texts() == [TABLE["contact"]]
    await chat.send_text("cancel")
    assert await chat.reply_texts() == ["Okay, forget it. Type menu whenever you need me."]

    await chat.tap_button("contact", "Talk to us")
    await chat.restart()  # a deploy between two steps: the dialog is in the store
    asked = await chat.send_text("Can I pick up my order on Sunday?")
    prompt, how = await chat.replies()
    assert reply_text(prompt) == TABLE["contact"] and reply_buttons(how) == WAYS
    await chat.redeliver(asked)  # Meta delivers it again: the dialog does not move on twice
    assert await chat.replies() == []
    await chat.send_text("tomorrow?")  # not a tap: asked again
    [again] = await chat.replies()
    assert reply_buttons(again) == WAYS
    await chat.tap_button("call", "Call me")
    assert await chat.reply_texts() == [
        "Thanks Priya Raman! Someone from our team will call you about: "
        "Can I pick up my order on Sunday?"]
    await chat.send_text("thanks!")  # the dialog is over
    assert await chat.reply_texts() == ["Thanks Priya Raman! Type menu to see what I can do."]
{%- if cookiecutter.use_auto_reply %}


async def test_anything_else_gets_an_answer_and_blue_ticks(bot_conversation):
    chat = await bot_conversation(settings_file=SETTINGS_FILE)
    wamid = await chat.send_text("Do you deliver on Sundays?")
    await chat.react(wamid, "\N{THUMBS UP SIGN}")  # reactions get no answer
    assert await chat.reply_texts() == ["Thanks Priya Raman! Type menu to see what I can do."]
    assert wamid in await chat.read_receipts()  # auto-reply marks every message read
{%- else %}


async def test_anything_else_gets_an_answer(bot_conversation):
    chat = await bot_conversation(settings_file=SETTINGS_FILE)
    wamid = await chat.send_text("Do you deliver on Sundays?")
    await chat.react(wamid, "\N{THUMBS UP SIGN}")  # reactions get no answer
    assert await chat.reply_texts() == ["Thanks Priya Raman! Type menu to see what I can do."]
    assert await chat.read_receipts() == []  # no auto-reply: no blue ticks
{%- endif %}


def test_the_settings_file_is_valid(monkeypatch):
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "token")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "secret")
    bot = BotRunner(load_settings(str(SETTINGS_FILE))).bot  # built as `botkit serve` would
    assert bot.settings.enabled_plugins[0] == "{{ cookiecutter.bot_name }}"
    assert bot.config("{{ cookiecutter.bot_name }}")["hours"] == TABLE["hours"]
