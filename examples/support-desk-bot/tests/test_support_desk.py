"""The support desk as configured in botkit.toml: auto-reply, crm-sync and status-logger, with
the handoff plugin passing conversations to a person and back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import pytest
from botkit_crm_sync import ContactBook
from click.testing import CliRunner
from support_desk import register_commands

from botkit.cli import load_settings
from botkit.testing import BotRunner

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "botkit.toml"
AGENT = "15550100200"
SECRETS = {"WHATSAPP_VERIFY_TOKEN": "token", "WHATSAPP_APP_SECRET": "secret"}


@pytest.fixture(autouse=True)
def data_in_tmp(tmp_path, monkeypatch):
    """The plugins keep their files under ./botkit-data: keep them in the test's folder."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def chats(bot_conversation):
    """The customer's chat and the agent's, with the same bot."""
    customer = await bot_conversation(settings_file=SETTINGS_FILE)
    return customer, customer.with_customer(AGENT, "Sam from support")


async def test_a_conversation_handed_to_a_person_and_back(chats):
    customer, agent = chats
    # WhatsApp delivers free-form messages only within 24 hours of the person's last message:
    # an agent who wants the desk's notices writes to the bot first (and gets the help text).
    await agent.send_text("hello")
    assert len(await agent.reply_texts()) == 1
    await customer.send_text("When are you open?")
    assert await customer.reply_texts() == ["We're open Monday to Saturday, 9:00 to 18:00."]

    await customer.send_text("My order is late, can I talk to a person?")
    assert await customer.reply_texts() == [
        "I'm passing you to a member of our team. They will answer right here."]
    [notice] = await agent.reply_texts()
    assert notice.startswith("Priya Raman (+15557654321) asks for a person: My order is late")
    assert "#15557654321" in notice

    late = await customer.send_text("It was due on Monday")
    [seen] = await customer.replies()  # no canned answer while a person has the chat
    assert seen["type"] == "reaction" and seen["reaction"] == {"message_id": late,
                                                                "emoji": "\N{EYES}"}
    assert await agent.reply_texts() == ["Priya Raman (+15557654321): It was due on Monday"]

    await agent.send_text("#15557654321 Sorry Priya, it ships today.")
    assert await agent.reply_texts() == ["Sent to Priya Raman (+15557654321)."]
    assert await customer.reply_texts() == ["Sorry Priya, it ships today."]

    await agent.send_text("#done 15557654321")
    assert await agent.reply_texts() == ["Closed the conversation with Priya Raman (+15557654321)."]
    assert await customer.reply_texts() == [
        "Our team has closed this conversation. Write any time and I'll help again."]

    await customer.send_text("Thanks! Is delivery free?")
    assert await customer.reply_texts() == [
        "Orders ship within a day; delivery takes 2 to 4 working days."]
    assert await agent.replies() == []


async def test_agent_commands_are_answered(chats):
    customer, agent = chats
    await agent.send_text("#list")
    await agent.send_text("#15557654321 hello?")
    await agent.send_text("what can I do?")
    no_chats, not_open, help_text = await agent.reply_texts()
    assert no_chats == "No open conversations."
    assert not_open.startswith("No open conversation with +15557654321.")
    assert help_text.startswith("Commands:")
    assert await customer.replies() == []  # nothing was relayed
    await customer.send_text("human please")
    await customer.settle()  # chats run side by side: let the hand-off happen first
    await agent.send_text("#list")
    notice, listing = await agent.reply_texts()
    assert notice.startswith("Priya Raman (+15557654321) asks for a person: human please")
    assert listing == "Priya Raman (+15557654321)"


async def test_the_customer_is_in_the_contact_book_and_statuses_are_logged(chats, tmp_path):
    customer, _ = chats
    await customer.send_text("Hello")
    await customer.report_status("wamid.REPLY1", "delivered")
    await customer.settle()
    book = ContactBook(tmp_path / "botkit-data" / "contacts.db")
    book.open(time.time())
    try:
        record = book.find("15557654321", None)
    finally:
        book.close()
    assert record is not None and record.name == "Priya Raman"
    lines = (tmp_path / "botkit-data" / "statuses.jsonl").read_text().splitlines()
    assert any("wamid.REPLY1" in json.loads(line).values() for line in lines)


@click.group()
def cli() -> None:
    """The command line handoff adds its commands to (``botkit`` itself in real use)."""


register_commands(cli)


async def test_botkit_handoffs_lists_the_open_conversations(chats):
    customer, _ = chats
    await customer.send_text("I need a human")
    await customer.settle()
    result = CliRunner(env=SECRETS).invoke(cli, ["handoffs", "--config", str(SETTINGS_FILE),
                                                 "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["customer"], row["name"]) == ("15557654321", "Priya Raman")


def test_the_settings_file_is_valid(monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    bot = BotRunner(load_settings(str(SETTINGS_FILE))).bot  # built as `botkit serve` would
    assert bot.settings.enabled_plugins == ("handoff", "auto-reply", "crm-sync", "status-logger")
    assert bot.config("handoff")["agents"] == (AGENT,)
    assert bot.config("status-logger")["path"] == "botkit-data/statuses.jsonl"
