"""{{ cookiecutter.bot_name }} as configured in botkit.toml: signed webhooks in, what the bot sent
through the fake Graph API out (fixtures from botkit.testing, loaded by botkit's pytest plugin)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from botkit.cli import load_settings
from botkit.testing import BotRunner, reply_buttons

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "botkit.toml"
TABLE = tomllib.loads(SETTINGS_FILE.read_text())["plugins"]["{{ cookiecutter.bot_name }}"]


@pytest.fixture(autouse=True)
def data_in_tmp(tmp_path, monkeypatch):
    """The plugins keep their files under ./botkit-data: keep them out of the project."""
    monkeypatch.chdir(tmp_path)


async def test_the_menu_and_its_buttons(bot_conversation):
    chat = await bot_conversation(settings_file=SETTINGS_FILE)
    await chat.send_text("Menu")
    [menu] = await chat.replies()
    assert reply_buttons(menu) == [("hours", "Opening hours"), ("contact", "Talk to us")]
    await chat.tap_button("hours", "Opening hours")
    await chat.tap_button("contact", "Talk to us")
    assert await chat.reply_texts() == [TABLE["hours"], TABLE["contact"]]
{%- if cookiecutter.use_auto_reply %}


async def test_anything_else_gets_the_default_reply(bot_conversation):
    chat = await bot_conversation(settings_file=SETTINGS_FILE)
    wamid = await chat.send_text("Do you deliver on Sundays?")
    assert await chat.reply_texts() == ["Thanks Priya Raman! Type menu to see what I can do."]
    assert await chat.read_receipts() == [wamid]
{%- else %}


async def test_anything_else_is_left_to_a_person(bot_conversation):
    chat = await bot_conversation(settings_file=SETTINGS_FILE)
    await chat.send_text("Do you deliver on Sundays?")
    assert await chat.replies() == []
{%- endif %}


async def test_a_first_contact_gets_the_menu(bot_conversation):
    from botkit.testing.payloads import request_welcome_message

    chat = await bot_conversation(settings_file=SETTINGS_FILE)
    await chat.send_message(request_welcome_message)
    [menu] = await chat.replies()
    assert len(reply_buttons(menu)) == 2


def test_the_settings_file_is_valid(monkeypatch):
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "token")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "secret")
    bot = BotRunner(load_settings(str(SETTINGS_FILE))).bot  # built as `botkit serve` would
    assert bot.settings.enabled_plugins[0] == "{{ cookiecutter.bot_name }}"
    assert bot.config("{{ cookiecutter.bot_name }}")["hours"] == TABLE["hours"]
