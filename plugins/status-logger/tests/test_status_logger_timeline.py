"""The status timeline through the real app: signed status webhooks in, rows and JSON lines
out."""

from __future__ import annotations

import json
import logging
import sqlite3
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from botkit_status_logger import StatusLoggerSettings, supersedes

from botkit import SettingsError
from botkit.testing import BotRunner, make_settings

WAMID = "wamid.OUTBOUND0001"


def rows(db_path: str, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def state(db_path: str, wamid: str) -> tuple:
    [row] = rows(db_path, "SELECT status, status_timestamp, error_code, error_title, "
                 "pricing_category FROM message_states WHERE wamid = ?", wamid)
    return row


def journal(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


async def test_out_of_order_statuses_keep_the_latest_state(start_status_logger, payloads,
                                                           logger_paths):
    bot = await start_status_logger()
    db = logger_paths["db_path"]
    for status, when in [("read", 1782900102), ("delivered", 1782900101),
                         ("sent", 1782900100)]:
        await bot.post(payloads.status(WAMID, status, when))
        await bot.settle()
        assert state(db, WAMID)[:2] == ("read", 1782900102)
    await bot.post(payloads.status(WAMID, "played", 1782900103))
    await bot.settle()
    assert state(db, WAMID)[:2] == ("played", 1782900103)
    timeline = rows(db, "SELECT status, timestamp FROM status_timeline WHERE wamid = ? "
                    "ORDER BY timestamp", WAMID)
    assert timeline == [("sent", 1782900100), ("delivered", 1782900101), ("read", 1782900102),
                        ("played", 1782900103)]
    lines = journal(logger_paths["path"])
    assert [line["status"] for line in lines] == ["read", "delivered", "sent", "played"]
    assert lines[0]["wamid"] == WAMID and lines[0]["recipient_id"] == "15557654321"
    assert lines[0]["key"] == f"status:{WAMID}:read"


async def test_failed_is_recorded_with_its_error_and_is_final(start_status_logger, payloads,
                                                              logger_paths):
    bot = await start_status_logger()
    db = logger_paths["db_path"]
    failed = payloads.load("status_failed.json")
    wamid = failed["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    await bot.post(payloads.status(wamid, "sent", 1782900790))
    await bot.settle()
    await bot.post(failed)
    await bot.settle()
    await bot.post(payloads.status(wamid, "delivered", 1782900900))  # too late to matter
    await bot.settle()
    title = "This message was not delivered to maintain healthy ecosystem engagement."
    assert state(db, wamid) == ("failed", 1782900800, 131049, title, None)
    [(errors,)] = rows(db, "SELECT errors FROM status_timeline WHERE status = 'failed'")
    assert json.loads(errors)[0]["details"].startswith("In order to maintain a healthy")
    line = next(x for x in journal(logger_paths["path"]) if x["status"] == "failed")
    assert (line["error_code"], line["error_title"]) == (131049, title)


async def test_unknown_statuses_join_the_timeline_and_change_nothing(start_status_logger,
                                                                     payloads, logger_paths):
    bot = await start_status_logger()
    db = logger_paths["db_path"]
    await bot.post(payloads.status(WAMID, "delivered", 1782900101))
    await bot.post(payloads.status(WAMID, "deleted", 1782900150))
    await bot.post(payloads.status("wamid.ONLYUNKNOWN", "warning", 1782900160))
    await bot.settle()
    assert state(db, WAMID)[:2] == ("delivered", 1782900101)
    assert rows(db, "SELECT wamid FROM message_states") == [(WAMID,)]
    assert sorted(rows(db, "SELECT status FROM status_timeline")) == [
        ("deleted",), ("delivered",), ("warning",)]


async def test_pricing_and_conversation_are_kept(start_status_logger, payloads, logger_paths):
    bot = await start_status_logger()
    db = logger_paths["db_path"]
    await bot.post(payloads.load("status_sent.json"))
    await bot.settle()
    await bot.post(payloads.load("status_read.json"))  # the same message, no pricing
    await bot.settle()
    wamid = payloads.load("status_read.json")["entry"][0]["changes"][0]["value"]["statuses"][0][
        "id"]
    [row] = rows(db, "SELECT status, pricing_category, pricing_model, pricing_type, "
                 "conversation_id, recipient_id FROM message_states WHERE wamid = ?", wamid)
    assert row == ("read", "marketing", "PMP", "regular", "4f9c0d6a2b7e13c85d1f60a9e2b34c71",
                   "15557654321")


async def test_redelivered_statuses_are_recorded_once(tmp_path, payloads, logger_paths,
                                                      payload_clock):
    settings = make_settings(tmp_path / "bot", enabled_plugins=["status-logger"],
                             plugins={"status-logger": logger_paths})
    for _ in range(2):
        async with BotRunner(settings, clock=payload_clock) as bot:
            await bot.post(payloads.status(WAMID, "sent", 1782900100))
            await bot.post(payloads.status(WAMID, "sent", 1782900100))  # Meta sent it twice
            await bot.settle()
        # The process died before the event was marked done: it is handed out again.
        store = sqlite3.connect(tmp_path / "bot" / "botkit.db")
        with store:
            store.execute("UPDATE events SET state = 'pending'")
        store.close()
    async with BotRunner(settings, clock=payload_clock) as bot:
        await bot.settle()
        assert rows(str(tmp_path / "bot" / "botkit.db"),
                    "SELECT attempts FROM events") == [(3,)]
    assert len(journal(logger_paths["path"])) == 1
    assert rows(logger_paths["db_path"], "SELECT count(*) FROM status_timeline") == [(1,)]


async def test_an_unwritable_log_stops_the_server(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = make_settings(tmp_path, enabled_plugins=["status-logger"], plugins={
        "status-logger": {"path": str(blocker / "statuses.jsonl"),
                          "db_path": str(tmp_path / "statuses.db")}})
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError):
        await BotRunner(settings).__aenter__()
    assert f"cannot open the status log {blocker / 'statuses.jsonl'}" in caplog.text


def test_status_order():
    assert supersedes("delivered", "sent") and supersedes("read", None)
    assert not supersedes("delivered", "read") and not supersedes("sent", "sent")
    assert supersedes("failed", "read") and not supersedes("read", "failed")
    assert not supersedes("deleted", None) and not supersedes("deleted", "sent")


def prepared(tmp_path: Path, table: dict) -> StatusLoggerSettings:
    """The table as status-logger receives it from ``bot.config()`` (the bot is built, not
    run)."""
    settings = make_settings(tmp_path / "prepared", enabled_plugins=["status-logger"],
                             plugins={"status-logger": table})
    return StatusLoggerSettings.from_config(BotRunner(settings).bot.config("status-logger"))


def test_settings_schema_and_defaults(tmp_path):
    schema = json.loads(resources.files("botkit_status_logger").joinpath("config.schema.json")
                        .read_text("utf-8"))
    assert schema["additionalProperties"] is False and schema["$id"] and schema["title"]
    defaults = prepared(tmp_path, {})
    for name, prop in schema["properties"].items():
        assert prop["description"] and Path(prop["default"]) == getattr(defaults, name)
    assert prepared(tmp_path, {"path": "x.jsonl"}).path == Path("x.jsonl")
    with pytest.raises(SettingsError) as caught:
        prepared(tmp_path, {"db": "x"})
    assert "plugins.status-logger: unknown key(s) ('db' was unexpected)" in str(caught.value)


def test_the_readme_example_is_valid(tmp_path):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    [block] = [block.split("```")[0] for block in readme.split("```toml\n")[1:]
               if "[plugins.status-logger]" in block]
    table = tomllib.loads(block)["plugins"]["status-logger"]
    assert prepared(tmp_path, table) == prepared(tmp_path, {})
