"""The order survives what a real deployment does to it: restarts, redelivered webhooks, and
the clock running on while the customer is silent."""

from __future__ import annotations

import json

import pytest
from order_chat import TIMEOUT, OrderWalk, botkit_command

from botkit.testing import reply_text

STEPS = OrderWalk.STEPS


async def test_a_restart_between_every_pair_of_steps_changes_nothing(walk):
    for step in STEPS:
        await walk.step(step)
        await walk.chat.restart()
    await walk.chat.send_text("hello")
    [hint] = await walk.chat.reply_texts()
    assert "order" in hint and "placed" not in hint
    assert walk.chat.bot.state == {}  # a new process: only the store remembered the order


async def test_a_redelivered_step_never_moves_the_order_or_asks_again(walk):
    for step in STEPS:
        await walk.step(step)
        for wamid in walk.wamids:  # this step's webhook, and every earlier one, again
            await walk.chat.redeliver(wamid)
        assert await walk.chat.replies() == []
    await walk.chat.send_text("hello")
    [hint] = await walk.chat.reply_texts()
    assert "order" in hint


async def test_a_redelivery_after_a_restart_is_still_recognised(walk):
    await walk.step("order")
    await walk.step("size")
    await walk.chat.restart()
    for wamid in walk.wamids:
        await walk.chat.redeliver(wamid)
    assert await walk.chat.replies() == []
    await walk.step("address")


async def test_an_operator_replaying_the_steps_never_runs_them_again(walk, tmp_path):
    for step in STEPS[:3]:
        await walk.step(step)
    keys = [f"message:{wamid}" for wamid in walk.wamids]
    await botkit_command(walk.chat, tmp_path, "events", "replay", *keys, "--yes")
    await walk.chat.settle()  # until the replayed events are dispatched again
    listed = json.loads(await botkit_command(walk.chat, tmp_path, "events", "list", "--json"))
    assert {row["key"]: row["attempts"] for row in listed if row["key"] in keys} == {
        key: 2 for key in keys}
    assert await walk.chat.replies() == []
    await walk.step("confirm")


@pytest.mark.parametrize("done", range(1, len(STEPS)), ids=STEPS[:-1])
async def test_silence_at_any_step_ends_the_order_once(walk, done):
    for step in STEPS[:done]:
        await walk.step(step)
    await walk.chat.advance(TIMEOUT - 1)
    assert await walk.chat.replies() == []
    await walk.chat.advance(1)
    [timed_out] = await walk.chat.replies()
    assert timed_out["type"] == "text" and "timed out" in reply_text(timed_out)
    await walk.chat.advance(10 * TIMEOUT)
    assert await walk.chat.replies() == []  # once
    await walk.chat.send_text("Large")
    [hint] = await walk.chat.reply_texts()  # the order is gone: no address is asked for
    assert "order" in hint and "address" not in hint


async def test_every_step_gives_the_customer_the_full_timeout_again(walk):
    await walk.step("order")
    await walk.chat.advance(TIMEOUT - 60)
    await walk.step("size")
    await walk.chat.advance(TIMEOUT - 60)
    await walk.step("address")
    await walk.chat.advance(TIMEOUT - 60)
    assert await walk.chat.replies() == []
    await walk.step("confirm")
    await walk.chat.advance(2 * TIMEOUT)
    assert await walk.chat.replies() == []  # a finished order never times out


async def test_the_timeout_fires_after_a_restart(walk):
    await walk.step("order")
    await walk.step("size")
    await walk.chat.advance(TIMEOUT / 2)
    await walk.chat.restart()
    await walk.chat.advance(TIMEOUT / 2)
    [timed_out] = await walk.chat.reply_texts()
    assert "timed out" in timed_out


async def test_the_timeout_follows_the_settings(start_chat):
    chat = await start_chat(order_bot={"timeout_seconds": 60})
    walk = OrderWalk(chat)
    await walk.step("order")
    await chat.advance(59)
    assert await chat.replies() == []
    await chat.advance(1)
    [timed_out] = await chat.reply_texts()
    assert "timed out" in timed_out
