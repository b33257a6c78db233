"""Dispatch runs off the request path: in order within a conversation, concurrently across them,
and only events that pass their schema reach plugins."""

from __future__ import annotations

import asyncio
import json

from samples import db_rows, payload_bytes

from botkit import hookimpl

TEXT = json.loads(payload_bytes("message_text.json"))


def text_message(sender: str, n: int) -> dict:
    body = json.loads(json.dumps(TEXT))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = sender
    message = value["messages"][0]
    message.update({"from": sender, "id": f"wamid.{sender}.{n}", "text": {"body": str(n)}})
    return body


class Ordered:
    """Holds the first message of conversation A until a message of B has been seen."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.b_seen = asyncio.Event()

    @hookimpl
    async def message_received(self, message) -> None:
        if message.sender == "A" and not self.seen:
            await asyncio.wait_for(self.b_seen.wait(), 5)
        if message.sender == "B":
            self.b_seen.set()
        self.seen.append((message.sender, message.text))


async def test_in_order_per_conversation_and_concurrent_across(botkit_runner_factory,
                                                                payload_clock):
    plugin = Ordered()
    bot = await botkit_runner_factory(enabled_plugins=["ordered"],
                                      extra_plugins={"ordered": plugin}, clock=payload_clock)
    for n in range(10):
        assert (await bot.post(text_message("A", n))).status_code == 200
    assert (await bot.post(text_message("B", 0))).status_code == 200
    await bot.settle()
    # B got through while A's first message was still being handled...
    assert plugin.seen[0] == ("B", "0")
    # ...and A's messages came in the order they were received.
    assert [text for sender, text in plugin.seen if sender == "A"] == [str(n) for n in range(10)]


async def test_acknowledged_before_plugins_finish(botkit_runner_factory, payload_clock):
    release = asyncio.Event()

    class Slow:
        @hookimpl
        async def message_received(self, message):
            await release.wait()

    bot = await botkit_runner_factory(enabled_plugins=["slow"], extra_plugins={"slow": Slow()},
                                      clock=payload_clock)
    response = await asyncio.wait_for(bot.post(text_message("A", 1)), 5)
    assert response.status_code == 200
    assert db_rows(bot, "SELECT state FROM events WHERE kind = 'message'") == [("pending",)]
    release.set()
    await bot.settle()


async def test_events_failing_their_schema_are_quarantined_not_dispatched(
        botkit_runner_factory, recorder, payload_clock):
    bot = await botkit_runner_factory(enabled_plugins=["rec"], extra_plugins={"rec": recorder},
                                      clock=payload_clock)
    bad = text_message("A", 1)
    bad["entry"][0]["changes"][0]["value"]["messages"][0]["type"] = 42
    response = await bot.post(bad)
    assert response.status_code == 200
    await bot.settle()
    assert recorder.counts() == {"contact_updated": 1}
    [(reason, kind, key)] = db_rows(bot, "SELECT reason, kind, key FROM quarantine")
    assert "$.type" in reason and kind == "message" and key == "message:wamid.A.1"
    assert "42" not in reason  # customer data stays out of reasons and logs


async def test_an_event_no_plugin_listens_to_is_settled_without_a_call(botkit_runner_factory,
                                                                       payload_clock):
    """The message's contact (a contact event) has no listener here: it is stored and finished
    at once, never queued; the message itself reaches the plugin as before."""
    seen = []

    class MessagesOnly:
        @hookimpl
        def message_received(self, message) -> None:
            seen.append(message.text)

    bot = await botkit_runner_factory(enabled_plugins=["only"],
                                      extra_plugins={"only": MessagesOnly()}, clock=payload_clock)
    assert (await bot.post(text_message("A", 1))).status_code == 200
    await bot.settle()
    assert seen == ["1"]
    assert sorted(db_rows(bot, "SELECT kind, state FROM events")) == [("contact", "done"),
                                                                      ("message", "done")]
    assert db_rows(bot, "SELECT count(*) FROM deliveries") == [(0,)]


async def test_a_backlog_left_to_claims_is_dispatched_without_waiting_for_the_poll(
        botkit_runner_factory, payload_clock):
    """While the dispatcher is full, new events wait in the store; once it has room it claims
    batch after batch until none is left, in order, not one batch per idle poll."""
    release = asyncio.Event()
    seen = []

    class Blocking:
        @hookimpl
        async def message_received(self, message) -> None:
            await release.wait()
            seen.append((message.sender, message.text))

    bot = await botkit_runner_factory(enabled_plugins=["blocking"],
                                      extra_plugins={"blocking": Blocking()}, clock=payload_clock,
                                      dispatch={"batch_size": 1, "concurrency": 1})
    for n in range(12):  # room for 4 queued: the rest waits in the store
        assert (await bot.post(text_message(f"S{n % 3}", n))).status_code == 200
    started = asyncio.get_running_loop().time()
    release.set()
    await bot.settle()
    assert asyncio.get_running_loop().time() - started < 2.5  # a poll is 1 s
    for sender in ("S0", "S1", "S2"):
        assert [text for who, text in seen if who == sender] == [
            str(n) for n in range(12) if f"S{n % 3}" == sender]
