"""``[store] durability`` decides the fsync policy of the SQLite writer, the one connection that
commits every acknowledged event: "full" survives power loss (``synchronous=FULL``), "normal" a
process crash (``synchronous=NORMAL``). Read from inside the running bot's writer."""

from __future__ import annotations

import sqlite3

import pytest
from samples import payload_bytes

SYNCHRONOUS = {1: "NORMAL", 2: "FULL"}


def writer_pragmas(conn: sqlite3.Connection) -> tuple[str, str]:
    synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return SYNCHRONOUS.get(synchronous, str(synchronous)), journal


@pytest.mark.parametrize(("durability", "expected"), [
    (None, "FULL"),  # not set: the default is the safe one
    ("full", "FULL"),
    ("normal", "NORMAL"),
])
async def test_durability_sets_synchronous_on_the_writer_connection(
        botkit_runner_factory, payload_clock, durability, expected):
    bot = await botkit_runner_factory(store={"durability": durability}, clock=payload_clock)
    assert bot.settings.store.durability == (durability or "full")
    assert await bot.bot.store.run_job(writer_pragmas) == (expected, "wal")
    # The same connection goes on committing what the webhook acknowledges, and keeps it.
    assert (await bot.post(payload_bytes("message_text.json"))).status_code == 200
    assert await bot.bot.store.run_job(writer_pragmas) == (expected, "wal")
    await bot.restart()
    assert await bot.bot.store.run_job(writer_pragmas) == (expected, "wal")
