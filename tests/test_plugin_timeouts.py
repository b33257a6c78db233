"""A hung plugin never stops dispatch: each call has a time limit and a call past it is a
failed attempt (retried, then a dead letter), stuck calls never starve other conversations,
and a stop with a hung plugin says what is left behind within its grace period. Real bots on
loopback, real SQLite."""

from __future__ import annotations

import asyncio
import logging
import time

from samples import db_rows

from botkit import hookimpl
from botkit.bot import Bot
from botkit.plugins import load_plugins
from botkit.runtime.lifecycle import Lifecycle
from botkit.store import open_store
from botkit.testing import make_settings
from botkit.testing.payloads import text_message
from botkit.webhook.splitting import split_body


class Hangs:
    """Never answers for the senders in ``stuck``; records everyone else."""

    def __init__(self, stuck: set[str] | None = None) -> None:
        self.stuck = stuck
        self.seen: list[tuple[str, int]] = []
        self.failed: list[BaseException] = []
        self.release = asyncio.Event()

    @hookimpl
    async def message_received(self, message):
        if self.stuck is None or message.sender in self.stuck:
            await self.release.wait()
        self.seen.append((message.sender, message.attempt))

    @hookimpl
    def delivery_failed(self, plugin, error):
        self.failed.append(error)


class Slowpoke:
    def __init__(self) -> None:
        self.done = 0

    @hookimpl
    async def message_received(self, message):
        await asyncio.sleep(0.6)
        self.done += 1


async def test_a_call_past_its_time_limit_is_retried_then_dead_lettered(
        botkit_runner_factory, caplog):
    hangs, slowpoke = Hangs(), Slowpoke()
    bot = await botkit_runner_factory(
        enabled_plugins=["hangs", "slowpoke"],
        extra_plugins={"hangs": hangs, "slowpoke": slowpoke},
        dispatch={"plugin_timeout": 0.3, "plugin_timeouts": {"slowpoke": 3},
                  "max_attempts": 2})
    with caplog.at_level(logging.WARNING):
        assert (await bot.post(text_message("are you there?"))).status_code == 200
        await asyncio.wait_for(bot.settle(), 15)
    hung, slow = db_rows(bot, "SELECT plugin, state, attempts, error FROM deliveries "
                              "ORDER BY plugin")
    assert hung[:3] == ("hangs", "dead", 2)
    assert "PluginTimeout" in hung[3] and "within 0.3 s" in hung[3]
    assert slow == ("slowpoke", "done", 1, None)
    assert [type(e).__name__ for e in hangs.failed] == ["PluginTimeout"]
    assert slowpoke.done == 1  # its own, longer limit: finished, not cancelled
    timed_out = [r.getMessage() for r in caplog.records if "timed out" in r.getMessage()]
    assert len(timed_out) == 2 and all(m.startswith("plugin hangs timed out on message:")
                                       for m in timed_out)
    metrics = (await bot.client.get("/metrics")).text
    assert 'botkit_plugin_timeouts_total{plugin="hangs"} 2.0' in metrics
    assert 'botkit_dead_letters_total{plugin="hangs"} 1.0' in metrics


async def test_stuck_conversations_never_starve_the_others(botkit_runner_factory):
    hangs = Hangs(stuck={"15550000001", "15550000002"})
    bot = await botkit_runner_factory(enabled_plugins=["hangs"], extra_plugins={"hangs": hangs},
                                      dispatch={"concurrency": 2})  # default 60 s time limit
    for sender in ("15550000001", "15550000002"):
        assert (await bot.post(text_message("hello", sender=sender))).status_code == 200
    await asyncio.sleep(0.3)  # both workers are now stuck in the plugin
    started = time.monotonic()
    for sender in ("15550000003", "15550000004", "15550000005"):
        assert (await bot.post(text_message("hello", sender=sender))).status_code == 200
    while len(hangs.seen) < 3:
        assert time.monotonic() - started < 6, "other conversations were not dispatched"
        await asyncio.sleep(0.05)
    assert {sender for sender, _ in hangs.seen} == {"15550000003", "15550000004",
                                                     "15550000005"}
    metrics = (await bot.client.get("/metrics")).text
    assert "botkit_dispatch_stuck_calls 2.0" in metrics
    hangs.release.set()  # the stuck ones finish normally, each once
    await bot.settle()
    assert sorted(sender for sender, _ in hangs.seen) == [f"1555000000{n}" for n in range(1, 6)]


class HungShutdown:
    @hookimpl
    async def shutdown(self):
        await asyncio.Event().wait()


async def test_a_stop_with_a_hung_plugin_says_what_is_left_within_its_grace(tmp_path, caplog):
    hangs = Hangs()
    settings = make_settings(tmp_path, enabled_plugins=["hangs", "hung-shutdown"],
                             dispatch={"plugin_timeouts": {"hung-shutdown": 0.3}})
    plugins = load_plugins(settings, {"hangs": hangs, "hung-shutdown": HungShutdown()})
    bot = Bot(settings, plugins, open_store(settings.store))
    lifecycle = Lifecycle(bot, grace=0.5)
    await lifecycle.start()
    body = text_message("hello", sender="15550000009", message_id="wamid.stuck")
    await bot.store.append(split_body(body).records)  # as the webhook stores it
    bot.wake_dispatch()
    while lifecycle.dispatcher is None or lifecycle.dispatcher.idle:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(lifecycle.stop(), 10)
    assert time.monotonic() - started < 0.5 + 2 + 0.3 + 1.5
    lines = [r.getMessage() for r in caplog.records]
    [left] = [line for line in lines if line.startswith("stopping after 0.5 s")]
    assert "1 event(s) still queued" in left and "message:wamid.stuck in hangs" in left
    assert any("hung-shutdown did not finish its shutdown hook within 0.3 s" in line
               for line in lines)
    # Nothing was lost: the next start hands the event out again, as a redelivery.
    hangs.release.set()
    again = Bot(settings, plugins, open_store(settings.store))
    lifecycle = Lifecycle(again, grace=0.5)
    await lifecycle.start()
    while not hangs.seen:
        await asyncio.sleep(0.02)
    await lifecycle.stop()
    assert hangs.seen == [("15550000009", 2)]


class PlainAndSlow:
    """A plain function: it cannot be interrupted, so it is not timed; it just finishes."""

    def __init__(self) -> None:
        self.done = 0

    @hookimpl
    def message_received(self, message):
        time.sleep(0.4)
        self.done += 1


async def test_a_plain_function_runs_to_its_end_whatever_the_limit(botkit_runner_factory):
    plain = PlainAndSlow()
    bot = await botkit_runner_factory(enabled_plugins=["plain"], extra_plugins={"plain": plain},
                                      dispatch={"plugin_timeout": 0.1})
    assert (await bot.post(text_message("hello"))).status_code == 200
    await asyncio.wait_for(bot.settle(), 15)
    assert plain.done == 1
    assert db_rows(bot, "SELECT state FROM events WHERE kind = 'message'") == [("done",)]
    assert db_rows(bot, "SELECT count(*) FROM deliveries") == [(0,)]


class HandsBackAHang:
    """A plain function that returns a coroutine: what it hands back is awaited, so it keeps
    the time limit (only the function itself, which runs at once, is not timed)."""

    @hookimpl
    def message_received(self, message):
        return asyncio.Event().wait()  # never set


async def test_an_awaitable_a_plain_function_hands_back_keeps_the_time_limit(
        botkit_runner_factory):
    bot = await botkit_runner_factory(enabled_plugins=["hands"],
                                      extra_plugins={"hands": HandsBackAHang()},
                                      dispatch={"plugin_timeout": 0.2, "max_attempts": 1})
    assert (await bot.post(text_message("hello"))).status_code == 200
    await asyncio.wait_for(bot.settle(), 15)
    [(plugin, state, error)] = db_rows(bot, "SELECT plugin, state, error FROM deliveries")
    assert (plugin, state) == ("hands", "dead") and "within 0.2 s" in error
