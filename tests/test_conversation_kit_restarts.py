"""The conversation kit's tools for durable dialogs: a restart that keeps only the store,
redelivery of the exact bytes Meta sent, and a clock the test moves by hand."""

from __future__ import annotations

import re

import httpx
import pytest

from botkit import Bot, Message, Timer, hookimpl
from botkit.testing import payloads
from botkit.testing.harness import ManualClock


class Counter:
    """Counts each customer's messages in the conversation and in process memory; answers
    with both. ``later`` schedules a timer ``delay`` seconds on; the timer says when it fired."""

    def __init__(self) -> None:
        self.stopped = 0

    @hookimpl
    async def message_received(self, bot: Bot, message: Message) -> None:
        conversation = await bot.conversation()
        conversation.data["count"] = conversation.data.get("count", 0) + 1
        in_memory = bot.state.setdefault("count", 0) + 1
        bot.state["count"] = in_memory
        conversation.send(f"store {conversation.data['count']}, memory {in_memory}")
        if message.text and message.text.startswith("later "):
            conversation.schedule("later", delay=float(message.text.split()[1]))

    @hookimpl
    async def timer_fired(self, bot: Bot, timer: Timer) -> None:
        conversation = await bot.conversation()
        conversation.send(f"fired at {bot.clock() - timer.due_at:.0f} s past due")

    @hookimpl
    def shutdown(self) -> None:
        self.stopped += 1


async def duplicates(chat) -> float:
    """Events the bot acknowledged as Meta's redeliveries, from its /metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(chat.runner.server.url + "/metrics")).text
    found = re.search(r"^botkit_duplicates_total (\S+)$", text, flags=re.MULTILINE)
    assert found, text
    return float(found.group(1))


async def test_a_restart_keeps_the_store_and_forgets_the_process(bot_conversation):
    counter = Counter()
    chat = await bot_conversation(enabled_plugins=["counter"], extra_plugins={"counter": counter})
    await chat.send_text("one")
    await chat.send_text("two")
    first_url = chat.runner.url
    await chat.restart()
    assert counter.stopped == 1  # the old bot was shut down as a deploy would
    assert chat.runner.url != first_url
    await chat.send_text("three")
    assert await chat.reply_texts() == ["store 1, memory 1", "store 2, memory 2",
                                        "store 3, memory 1"]


async def test_redeliver_posts_the_same_bytes_again(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["counter"], extra_plugins={"counter": Counter()})
    wamid = await chat.send_text("caf\N{LATIN SMALL LETTER E WITH ACUTE}")
    other = chat.with_customer("4915550123456", "Jonas Weber")
    theirs = await other.send_text("hallo")
    await chat.restart()
    await chat.redeliver(wamid)
    await other.redeliver(theirs)
    await chat.redeliver(theirs)  # one store of posted bodies per bot
    # Each body holds the message and the sender's profile: both recognised as Meta's retry.
    assert await duplicates(chat) == 3 * 2
    assert await chat.reply_texts() == ["store 1, memory 1"]
    with pytest.raises(KeyError, match=r"no message 'wamid\.unknown' was posted"):
        await chat.redeliver("wamid.unknown")


async def test_a_batched_body_is_redelivered_whole(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["counter"], extra_plugins={"counter": Counter()})
    first, second = payloads.text_message("a"), payloads.text_message("b")
    await chat.send(payloads.webhook(first, second))
    wamid = second["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await chat.redeliver(wamid)
    assert await duplicates(chat) == 3  # both messages and the one profile they share
    assert await chat.reply_texts() == ["store 1, memory 1", "store 2, memory 2"]


async def test_advance_moves_the_clock_and_fires_due_timers(bot_conversation):
    clock = ManualClock(start=1_800_000_000)
    chat = await bot_conversation(enabled_plugins=["counter"], extra_plugins={"counter": Counter()},
                                  clock=clock)
    await chat.send_text("later 600")
    await chat.advance(599)
    assert await chat.reply_texts() == ["store 1, memory 1"]
    await chat.advance(1)
    assert await chat.reply_texts() == ["fired at 0 s past due"]
    assert clock() == 1_800_000_600
    await chat.send_text("later 0")  # due at once: settling handles it
    assert await chat.reply_texts() == ["store 2, memory 2", "fired at 0 s past due"]


async def test_messages_carry_the_bots_time(bot_conversation):
    clock = ManualClock(start=1_800_000_000)
    chat = await bot_conversation(enabled_plugins=["counter"], extra_plugins={"counter": Counter()},
                                  clock=clock)
    await chat.advance(3600)
    await chat.send_text("hi")
    await chat.settle()
    window = await chat.bot.conversations.info(f"{chat.phone_number_id}:{chat.customer}")
    assert window.last_inbound_at == 1_800_003_600  # sent at the bot's time, not the real one


def test_the_manual_clock_only_moves_forward():
    clock = ManualClock(start=100)
    assert clock.advance(5) == 105 == clock()
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)


async def test_advance_needs_a_manual_clock(bot_conversation):
    chat = await bot_conversation(enabled_plugins=["counter"], extra_plugins={"counter": Counter()})
    with pytest.raises(TypeError, match="ManualClock"):
        await chat.advance(10)
