"""The store stays bounded: a running bot purges, in small steps, what is past its retention
(finished events and their ledger after the dedupe window, dead letters and quarantine after
their own, the conversation bookkeeping of purged events) and the SQLite file shrinks back;
nothing still pending is touched. Real bots on loopback, real SQLite, a clock moved by hand."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner

from botkit import PermanentError, hookimpl
from botkit.cli.store import store_group
from botkit.store.sqlite import SQLiteStore, sqlite_path
from botkit.store.stats import sqlite_stats
from botkit.testing.harness import ManualClock
from botkit.testing.payloads import new_wamid, text_message

DAY = 86400.0
FILLER = "x" * 2000  # each stored event about 2.5 KB


def batch(texts: list[str], sender: str = "15550001111") -> dict:
    """One POST carrying a message per text (Meta sends up to 1000 items in one body)."""
    bodies = [text_message(text, sender=sender, message_id=new_wamid()) for text in texts]
    first = bodies[0]
    value = first["entry"][0]["changes"][0]["value"]
    value["messages"] = [b["entry"][0]["changes"][0]["value"]["messages"][0] for b in bodies]
    return first


class Keeper:
    """Replies to "reply", schedules two timers on "timer" and cancels one on "cancel", gives
    up on "dead", and
    holds "hold" until released; everything else it just reads."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.held: list[str] = []

    @hookimpl
    async def message_received(self, bot, message):
        text = message.text or ""
        if text == "reply":
            await message.reply("noted")
        elif text == "timer":
            conv = await bot.conversation()
            conv.schedule("soon", delay=60)
            conv.schedule("never", delay=3600)
        elif text == "cancel":
            (await bot.conversation()).cancel("never")
        elif text == "dead":
            raise PermanentError("this one is given up on")
        elif text == "hold":
            self.held.append(message.key)
            await self.release.wait()

    @hookimpl
    async def timer_fired(self, bot, timer):
        return None


def rows(db: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def count(db: Path, sql: str) -> int:
    return rows(db, sql)[0][0]


async def wait_until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def db_bytes(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def test_a_running_bot_purges_past_retention_and_the_file_shrinks_back(
        botkit_runner_factory, fake_graph, tmp_path):
    keeper = Keeper()
    clock = ManualClock()
    bot = await botkit_runner_factory(
        enabled_plugins=["keeper"], extra_plugins={"keeper": keeper}, clock=clock,
        whatsapp={"graph_url": fake_graph.url},
        store={"dedupe_days": 8, "purge_interval_seconds": 1},
        dispatch={"max_attempts": 1})
    db = sqlite_path(bot.settings.store.url)
    empty = db_bytes(db)
    for _ in range(4):
        assert (await bot.post(batch([FILLER] * 500))).status_code == 200
    for special in ("reply", "timer", "cancel", "dead"):
        assert (await bot.post(text_message(special, sender="15550002222"))).status_code == 200
    assert (await bot.post(b'{"object": "page", "entry": []}')).status_code == 200  # quarantined
    assert (await bot.post(text_message("hold", sender="15550003333"))).status_code == 200
    await fake_graph.wait_for_messages(1)
    await wait_until(lambda: count(db, "SELECT count(*) FROM timers WHERE state = 'cancelled'"))
    clock.advance(120)  # the 60 s timer is due; its "never" sibling was cancelled
    await bot.fire_due_timers()
    await wait_until(lambda: count(db, "SELECT count(*) FROM events WHERE state = 'pending'") == 1
                     and keeper.held)
    assert count(db, "SELECT count(*) FROM handled") >= 1
    assert count(db, "SELECT count(*) FROM outbox") == 1
    assert count(db, "SELECT count(*) FROM timers WHERE state != 'pending'") == 2
    full = db_bytes(db)
    assert full > empty + 4_000_000

    clock.advance(8 * DAY + 3600)  # past the dedupe window: the next purge (every second) runs
    await wait_until(lambda: count(db, "SELECT count(*) FROM events WHERE state = 'done'") == 0)
    await wait_until(lambda: db_bytes(db) < empty + 1_000_000)
    # Kept: what is still pending, and dead letters and quarantine (30 days each).
    [(key, state)] = rows(db, "SELECT key, state FROM events WHERE state != 'dead'")
    assert (key, state) == (keeper.held[0], "pending")
    assert count(db, "SELECT count(*) FROM deliveries WHERE state = 'dead'") == 1
    assert count(db, "SELECT count(*) FROM quarantine") == 1
    # The bookkeeping of purged events went with them.
    assert count(db, "SELECT count(*) FROM handled") == 0
    assert count(db, "SELECT count(*) FROM outbox") == 0
    assert count(db, "SELECT count(*) FROM timers") == 0
    assert count(db, "PRAGMA auto_vacuum") == 2

    clock.advance(30 * DAY)
    await wait_until(lambda: count(db, "SELECT count(*) FROM quarantine") == 0)
    await wait_until(lambda: count(db, "SELECT count(*) FROM deliveries") == 0)
    assert rows(db, "SELECT key, state FROM events") == [(keeper.held[0], "pending")]
    keeper.release.set()  # the pending event was never purged: it is dispatched as usual
    await bot.settle()
    assert rows(db, "SELECT state FROM events") == [("done",)]


async def test_store_stats_counts_each_kind_with_its_oldest_row(botkit_runner_factory,
                                                                 tmp_path):
    clock = ManualClock()
    bot = await botkit_runner_factory(clock=clock)
    await bot.post(batch(["a", "b", "c"]))
    await bot.post(b"[1, 2]")
    await bot.settle()
    config = tmp_path / "store.toml"
    config.write_text(f'[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
                      f'[store]\nurl = "{bot.settings.store.url}"\n')
    result = CliRunner().invoke(store_group, ["stats", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    kinds = {row["kind"]: row for row in stats["kinds"]}
    assert kinds["events done"]["count"] == 4  # three messages and their sender's profile
    assert kinds["quarantine"]["count"] == 1
    assert abs(kinds["events done"]["oldest"] - clock.now) < 1
    db = sqlite_path(bot.settings.store.url)
    assert stats["space"]["file_bytes"] == db.stat().st_size
    assert stats["space"]["auto_vacuum"] == "incremental"
    table = CliRunner().invoke(store_group, ["stats", "--config", str(config)])
    assert "events done" in table.output and "auto_vacuum incremental" in table.output


async def test_an_existing_store_is_switched_to_incremental_vacuum_once(tmp_path):
    path = tmp_path / "botkit.db"
    with contextlib.closing(sqlite3.connect(path)) as old:  # as an older botkit made it
        old.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT "
                    "NULL UNIQUE, kind TEXT NOT NULL, conversation TEXT NOT NULL, occurred_at "
                    "INTEGER, received_at REAL NOT NULL, payload BLOB NOT NULL, state TEXT NOT "
                    "NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, updated_at "
                    "REAL)")
        old.execute("INSERT INTO events (key, kind, conversation, received_at, payload) "
                    "VALUES ('message:old', 'message', 'p:c', 1, x'7b7d')")
        old.commit()
        assert old.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    store = SQLiteStore(f"sqlite:///{path}")
    await store.open()
    await store.close()
    assert sqlite_stats(path)["space"]["auto_vacuum"] == "incremental"
    assert rows(path, "SELECT key, state FROM events") == [("message:old", "pending")]


async def test_a_purge_never_holds_up_appends_for_long(tmp_path):
    from botkit.store.records import EventRecord

    clock = ManualClock(1_000_000.0)
    store = SQLiteStore(f"sqlite:///{tmp_path / 'botkit.db'}", durability="normal",
                        dedupe_seconds=8 * DAY, clock=clock)
    await store.open()
    payload = b'{"item": "' + b"y" * 1000 + b'"}'
    for chunk in range(10):
        await store.append([EventRecord(f"message:{chunk}.{n}", "message", "p:c", None, payload)
                            for n in range(1000)])
    while claimed := await store.claim(5000):
        await store.settle_many([(event, "done", []) for event in claimed])
    clock.advance(9 * DAY)
    purge = asyncio.create_task(store.purge(clock()))
    slowest, appended = 0.0, 0
    while not purge.done():
        started = time.perf_counter()
        await store.append([EventRecord(f"message:new.{appended}", "message", "p:d", None,
                                        payload)])
        slowest = max(slowest, time.perf_counter() - started)
        appended += 1
    purged = await purge
    assert purged["events"] == 10_000 and purged["pages_freed"] > 2000
    assert appended > 10  # appends went on while the purge ran...
    print(f"{appended} appends during the purge, the slowest {slowest * 1000:.1f} ms")
    assert slowest < 0.25  # ...each waiting for one small step at most
    assert await store.pending_count() == appended
    await store.close()
