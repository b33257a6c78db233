"""``botkit status``: a message's timeline and the summary, read from what the bot recorded."""

from __future__ import annotations

import json

import click
import pytest
from botkit_status_logger import register_commands
from click.testing import CliRunner


@click.group()
def cli() -> None:
    """The command line status-logger adds its commands to (``botkit`` itself in real use)."""


register_commands(cli)


@pytest.fixture
def settings_file(tmp_path, logger_paths):
    path = tmp_path / "botkit.toml"
    path.write_text(
        'enabled_plugins = ["status-logger"]\n'
        '[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
        f'[plugins.status-logger]\ndb_path = "{logger_paths["db_path"]}"\n'
        f'path = "{logger_paths["path"]}"\n')
    return path


def status(settings_file, *args: str):
    return CliRunner().invoke(cli, ["status", "--config", str(settings_file), *args],
                              catch_exceptions=False)


async def test_summary_of_the_batch_sample(start_status_logger, payloads, settings_file):
    bot = await start_status_logger()
    await bot.post(payloads.load("statuses_batch.json"))
    await bot.settle()
    result = status(settings_file, "--summary", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "messages": 50,
        "status_updates": 50,
        "by_status": {"sent": 17, "delivered": 17, "read": 16},
        "by_error_code": {},
        "error_titles": {},
        "by_pricing_category": {"none": 33, "marketing": 17},
        "other_statuses": {},
    }
    text = status(settings_file, "--summary").output
    assert text.startswith("50 message(s), 50 status update(s)\nby status:\n")
    assert "      17  sent\n" in text and "      16  read\n" in text
    assert "by error code:\n  (none)\n" in text and "      17  marketing\n" in text


async def test_summary_counts_failures_by_code(start_status_logger, payloads, settings_file):
    bot = await start_status_logger()
    await bot.post(payloads.load("status_failed.json"))
    await bot.post(payloads.status("wamid.X1", "failed", 1782900800, errors=[
        {"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable"}]))
    await bot.post(payloads.status("wamid.X2", "failed", 1782900801, errors=[
        {"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable"}]))
    await bot.post(payloads.status("wamid.X3", "warning", 1782900802))
    await bot.settle()
    data = json.loads(status(settings_file, "--summary", "--json").output)
    assert data["by_status"] == {"failed": 3}
    assert data["by_error_code"] == {"131026": 2, "131049": 1}
    assert data["other_statuses"] == {"warning": 1}
    text = status(settings_file, "--summary").output
    assert "       2  131026 Message undeliverable\n" in text
    assert "other statuses (timeline only):\n       1  warning\n" in text


async def test_one_message_timeline(start_status_logger, payloads, settings_file):
    bot = await start_status_logger()
    sent = payloads.load("status_sent.json")
    wamid = sent["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    await bot.post(payloads.load("status_read.json"))
    await bot.post(sent)
    await bot.settle()
    data = json.loads(status(settings_file, wamid, "--json").output)
    assert data["wamid"] == wamid and data["current"]["status"] == "read"
    assert [e["status"] for e in data["timeline"]] == ["sent", "read"]
    assert data["timeline"][0]["pricing_category"] == "marketing"
    lines = status(settings_file, wamid).output.splitlines()
    assert lines[:3] == [wamid, "to 15557654321: read since 2026-07-01 10:12:40",
                         "TIME (UTC)           STATUS      DETAILS"]
    assert lines[3] == ("2026-07-01 10:11:40  sent        pricing marketing/PMP/regular; "
                        "conversation 4f9c0d6a2b7e13c85d1f60a9e2b34c71")
    assert lines[4] == "2026-07-01 10:12:40  read"


async def test_clear_errors(start_status_logger, payloads, settings_file, tmp_path):
    result = status(settings_file, "--summary")
    assert result.exit_code == 1 and "no status database at" in result.output
    bot = await start_status_logger()
    await bot.post(payloads.load("status_sent.json"))
    await bot.settle()
    assert status(settings_file).exit_code == 2
    assert status(settings_file, "wamid.X", "--summary").exit_code == 2
    result = status(settings_file, "wamid.UNKNOWN")
    assert result.exit_code == 1 and "no status recorded for wamid.UNKNOWN" in result.output
