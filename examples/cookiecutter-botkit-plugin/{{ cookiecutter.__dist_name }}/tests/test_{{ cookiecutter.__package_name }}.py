"""{{ cookiecutter.plugin_name }} through a real bot: signed webhooks in, the fake Graph API's
records out (fixtures from botkit.testing, loaded by botkit's pytest plugin)."""

from __future__ import annotations

import logging

import pytest
from botkit import SettingsError
from botkit.testing import BotRunner, make_settings

PLUGIN = "{{ cookiecutter.plugin_name }}"


async def test_answers_a_keyword(bot_conversation):
    chat = await bot_conversation(enabled_plugins=[PLUGIN],
                                  plugins={PLUGIN: {"keywords": ["hello"],
                                                    "reply": "Hello {name}!"}})
    await chat.send_text("Well, HELLO there")
    assert await chat.reply_texts() == ["Hello Priya Raman!"]


async def test_default_settings(bot_conversation):
    chat = await bot_conversation(enabled_plugins=[PLUGIN])
    await chat.send_text("hi")
    assert await chat.reply_texts() == ["Hello Priya Raman! How can we help?"]


async def test_stays_silent_otherwise(bot_conversation):
    chat = await bot_conversation(enabled_plugins=[PLUGIN])
    await chat.send_text("Do you ship to Lisbon?")
    await chat.send_image(caption="hello")
    assert await chat.replies() == []


async def test_logs_statuses(bot_conversation, caplog):
    chat = await bot_conversation(enabled_plugins=[PLUGIN])
    with caplog.at_level(logging.INFO, logger="botkit"):
        await chat.report_status("wamid.SENT1", "read")
        await chat.settle()
    assert f"{PLUGIN}: message wamid.SENT1 is now read" in caplog.text


def test_settings_are_checked_when_the_bot_starts(tmp_path):
    settings = make_settings(tmp_path, enabled_plugins=[PLUGIN],
                             plugins={PLUGIN: {"keywords": "hello", "colour": "blue"}})
    with pytest.raises(SettingsError) as problems:
        BotRunner(settings)  # botkit checks the table against config.schema.json
    assert f"plugins.{PLUGIN}.keywords" in str(problems.value)
    assert "colour" in str(problems.value)
