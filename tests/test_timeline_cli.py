"""``botkit conversation show``: a customer's timeline in the terminal, as a table and as JSON,
from the same store the bot is writing (SQLite and Redis)."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from timeline_kit import (
    CUSTOMER,
    EXPECTED_OUTLINE,
    NAME,
    NUMBER,
    STORY_SETTINGS,
    XSS_TEXT,
    story_plugins,
    tell_story,
)

from botkit.cli.timeline import conversation, register_timeline_commands
from botkit.testing import ACCESS_TOKEN, BotRunner, FakeGraphAPI, make_settings
from botkit.testing.harness import ManualClock


@pytest.fixture
async def config(tmp_path, store) -> str:
    """A settings file naming the store of a bot that was told the story (then stopped)."""
    clock = ManualClock()
    plugins = story_plugins()
    async with FakeGraphAPI(access_token=ACCESS_TOKEN) as graph:
        settings = make_settings(tmp_path, enabled_plugins=list(plugins), store=store,
                                 whatsapp={"graph_url": graph.url}, **STORY_SETTINGS)
        async with BotRunner(settings, extra_plugins=plugins, clock=clock) as bot:
            await tell_story(bot, graph, clock)
    path = tmp_path / "botkit.toml"
    path.write_text(f'[whatsapp]\nverify_token = {{ env = "UNSET_TOKEN" }}\n'
                    f'app_secret = {{ env = "UNSET_SECRET" }}\n'
                    f'[store]\nurl = "{settings.store.url}"\n')
    return str(path)


def show(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(conversation, ["show", *args])
    assert result.exit_code == code, result.output
    return result.output


async def test_the_table_shows_every_entry_in_order(config):
    lines = show(CUSTOMER, "--config", config).splitlines()
    assert lines[0] == f"{NAME}  {CUSTOMER}"
    assert lines[1].split()[:3] == [NUMBER, "bot", "window"]
    rows = [line for line in lines[3:] if not line.startswith(" ")]
    assert lines[2].split() == ["TIME", "(UTC)", "NUMBER", "WHAT", "DETAILS"]
    assert [row.split()[3] for row in rows] == [row[0] for row in EXPECTED_OUTLINE]
    text = "\n".join(lines)
    assert f"inbound   text: {XSS_TEXT}" in text
    assert f"crm: dead after 2 tries: ConnectionError: CRM refused {XSS_TEXT}" in text
    assert "crm: retried after 2 tries" in text and "every plugin: done" in text
    assert "outbound  botkit.reply: echo hello\n" in text and "sent: wamid." in text
    assert "botkit.reply: echo anyone there?\n" + " " * 40 + \
        "suppressed: a person has the conversation" in text
    assert "status read" in text and "(error 131049 Ecosystem)" in text
    assert "taken over by agent-7: VIP" in text and "handed back by agent-7" in text
    assert "reminder nudge fired" in text and "reminder later pending" in text


async def test_json_is_the_timeline_itself(config):
    data = json.loads(show(CUSTOMER, "--config", config, "--json"))
    assert data["customer"] == CUSTOMER and data["name"] == NAME
    assert [e["kind"] for e in data["entries"]] == [row[0] for row in EXPECTED_OUTLINE]
    first_reply = data["entries"][1]
    assert first_reply["wamid"].startswith("wamid.") and [
        s["status"] for s in first_reply["statuses"]] == ["sent", "delivered", "read"]
    assert data["entries"][4]["deliveries"][1] == {
        "plugin": "crm", "outcome": "dead", "attempts": 2,
        "error": f"ConnectionError: CRM refused {XSS_TEXT}"}
    assert data["conversations"][0]["conversation"] == f"{NUMBER}:{CUSTOMER}"
    narrowed = json.loads(show(CUSTOMER, "--config", config, "--json", "--number", NUMBER))
    assert narrowed == data


async def test_an_unknown_customer_or_store_is_one_line_and_an_exit_code(config, tmp_path):
    result = CliRunner().invoke(conversation, ["show", "15550000000", "--config", config])
    assert (result.exit_code, result.output) == (
        1, "error: no conversation with 15550000000 is known\n")
    result = CliRunner().invoke(conversation, ["show", CUSTOMER, "--config", config,
                                               "--number", "999"])
    assert (result.exit_code, result.output) == (
        1, f"error: no conversation with {CUSTOMER} is known on number 999\n")
    missing = tmp_path / "missing.toml"
    missing.write_text(f'[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
                       f'[store]\nurl = "sqlite:///{tmp_path}/nothing-here.db"\n')
    result = CliRunner().invoke(conversation, ["show", CUSTOMER, "--config", str(missing)])
    assert result.exit_code == 2 and result.output.startswith("error: no store at ")
    assert "Traceback" not in result.output


def test_the_command_registers_as_botkit_conversation():
    group = click.Group("botkit")
    register_timeline_commands(group)
    result = CliRunner().invoke(group, ["conversation", "show", "--help"])
    assert result.exit_code == 0 and "CUSTOMER's timeline" in result.output
