"""A Redis store stays bounded too: after a bot has used every kind of key (events, dedupe,
ledger, dead letters, quarantine, history, replies, dialog state, timers, handoff), every key
under its prefix either expires or belongs to a family with a cap, and the families that grow
with traffic and have no TTL of their own (dead letters, quarantine) are trimmed once past their
retention. Real bot on loopback, the real Redis, a clock moved by hand."""

from __future__ import annotations

import asyncio
import json
import time

import redis
from click.testing import CliRunner
from samples import REDIS_URL

from botkit import PermanentError, hookimpl
from botkit.cli.store import store_group
from botkit.store._redis_stats import family_of
from botkit.testing.harness import ManualClock
from botkit.testing.payloads import text_message

DAY = 86400.0
#: How each key family is bounded when it has no TTL: a family not listed here must expire.
CAPPED = {
    "config": "one hash with the partition count",
    "events": "partition streams: only events still waiting (settled ones are deleted)",
    "history": "capped at the store URL's history length",
    "dead": "trimmed by age (dead_letter_days)",
    "quarantine": "trimmed by age (quarantine_days)",
    "reprocessed": "capped by length and trimmed by age",
    "timers": "pending timers only (fired and cancelled ones leave)",
    "timer-specs": "pending timers only",
    "conv-timers": "pending timers only",
    "humans": "conversations a person has right now",
}
#: Families whose keys stay while a person has the conversation, then expire.
WHILE_HUMAN = {"conversation", "customer"}


class EveryKind:
    @hookimpl
    async def message_received(self, bot, message):
        text = message.text or ""
        if text == "dead":
            raise PermanentError("given up")
        conv = await bot.conversation()
        if text == "state":
            conv.set_state("asked", {"n": 1})
            await message.reply("hello")
        elif text == "timer":
            conv.schedule("soon", delay=60)
            conv.schedule("later", delay=3600)
        elif text == "cancel":
            conv.cancel("later")
        elif text == "human":
            conv.hand_to_human(ttl=600)

    @hookimpl
    async def timer_fired(self, bot, timer):
        return None


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


async def test_every_redis_key_expires_or_is_capped_and_old_ones_are_trimmed(
        botkit_runner_factory, fake_graph, redis_prefix, tmp_path):
    clock = ManualClock()
    url = f"{REDIS_URL}?prefix={redis_prefix}&partitions=2"
    bot = await botkit_runner_factory(
        enabled_plugins=["every"], extra_plugins={"every": EveryKind()}, clock=clock,
        whatsapp={"graph_url": fake_graph.url},
        store={"url": url, "dedupe_days": 8, "purge_interval_seconds": 1},
        dispatch={"max_attempts": 1})
    for text, sender in (("state", "1555001"), ("timer", "1555002"), ("cancel", "1555002"),
                         ("human", "1555003"), ("dead", "1555004"), ("plain", "1555005")):
        assert (await bot.post(text_message(text, sender=sender))).status_code == 200
    assert (await bot.post(b'{"object": "page"}')).status_code == 200  # quarantined
    await bot.settle()
    clock.advance(120)
    await bot.settle()  # the 60 s timer fires and is handled

    client = redis.Redis.from_url(REDIS_URL)
    try:
        families: dict[str, list[str]] = {}
        for raw in client.scan_iter(match=f"{redis_prefix}:*", count=1000):
            key = raw.decode()
            families.setdefault(family_of(key, redis_prefix), []).append(key)
        assert {"seen", "events", "history", "dead", "quarantine", "handling", "dialog",
                "conversation", "customer", "humans", "timers", "lease"} <= set(families)
        for family, keys in families.items():
            for key in keys:
                ttl = client.ttl(key)
                if family in CAPPED or ttl > 0:
                    continue
                assert family in WHILE_HUMAN, f"{key} never expires and has no cap"
                assert key.endswith("1555003"), f"{key} never expires, yet no person has it"
        history_cap = 50_000
        assert client.xlen(f"{redis_prefix}:history") <= history_cap
        # Fired and cancelled timers are gone; what is left is the handoff's pending expiry.
        [pending] = client.zrange(f"{redis_prefix}:timers", 0, -1)
        assert pending.startswith(b"handoff-")
        assert client.xlen(f"{redis_prefix}:dead") == 1
        assert client.xlen(f"{redis_prefix}:quarantine") == 1

        # The running bot purges every second; past their retention these are trimmed.
        clock.advance(31 * DAY)
        await asyncio.to_thread(wait_for, lambda: client.xlen(f"{redis_prefix}:dead") == 0
                                and client.xlen(f"{redis_prefix}:quarantine") == 0)
    finally:
        client.close()

    config = tmp_path / "redis.toml"
    config.write_text(f'[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
                      f'[store]\nurl = "{url}"\n')
    result = CliRunner().invoke(store_group, ["stats", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    kinds = {row["kind"]: row for row in stats["kinds"]}
    assert kinds["keys seen"]["count"] >= 6
    assert kinds["stream history"]["count"] >= 6 and kinds["stream history"]["oldest"]
    assert stats["space"]["used_memory_bytes"] > 0
