"""A customer's timeline read from the store, on SQLite and on Redis: every inbound message with
each plugin's delivery, every outbox message with its status and Meta's reports, handoffs and
timers, in order; the conversation list's search and the delivery funnel."""

from __future__ import annotations

import pytest
from timeline_kit import (
    CONVERSATION,
    CUSTOMER,
    EXPECTED_OUTLINE,
    NAME,
    NUMBER,
    STORY_SETTINGS,
    XSS_TEXT,
    outline,
    story_plugins,
    tell_story,
)

from botkit.errors import StoreError
from botkit.testing import ACCESS_TOKEN, BotRunner, FakeGraphAPI, make_settings, payloads
from botkit.testing.harness import ManualClock
from botkit.timeline import customer_timeline, open_reader


@pytest.fixture
async def graph():
    async with FakeGraphAPI(access_token=ACCESS_TOKEN) as fake:
        yield fake


async def running(tmp_path, graph, store, clock=None, plugins=None, **tables) -> BotRunner:
    plugins = story_plugins() if plugins is None else plugins
    settings = make_settings(tmp_path, enabled_plugins=list(plugins), store=store,
                             whatsapp={"graph_url": graph.url}, **tables)
    return BotRunner(settings, extra_plugins=plugins, clock=clock or ManualClock())


async def test_the_timeline_tells_the_whole_story_in_order(tmp_path, graph, store):
    clock = ManualClock()
    async with await running(tmp_path, graph, store, clock, **STORY_SETTINGS) as bot:
        told = await tell_story(bot, graph, clock)
        timeline = customer_timeline(bot.settings.store.url, CUSTOMER, now=clock())
    assert outline(timeline) == EXPECTED_OUTLINE
    assert [e.at for e in timeline.entries] == sorted(e.at for e in timeline.entries)
    entries = timeline.entries
    assert entries[1].wamid == told.wamids[0] and entries[1].event_key == entries[0].key
    dead = entries[4].deliveries[1]
    assert dead.error == f"ConnectionError: CRM refused {XSS_TEXT}"
    assert entries[2].deliveries[1].outcome == "retried"
    assert entries[11].result == "a person has the conversation"
    assert entries[13].at == pytest.approx(clock())  # fired when the clock had moved on
    assert entries[14].at == pytest.approx(entries[6].at + 3600, abs=1)
    [conversation] = timeline.conversations
    assert (conversation.key, conversation.mode, conversation.window_open,
            conversation.name) == (CONVERSATION, "bot", True, NAME)
    assert timeline.name == NAME
    # What a log line would show of the records never holds what the customer wrote.
    assert "anyone there?" not in repr(timeline) and NAME not in repr(timeline)
    data = timeline.as_json()
    assert data["entries"][4]["text"] == XSS_TEXT and data["name"] == NAME


async def test_a_number_narrows_the_timeline_and_an_unknown_customer_has_none(
        tmp_path, graph, store):
    async with await running(tmp_path, graph, store) as bot:
        await bot.post(payloads.text_message("to the first number"))
        await bot.settle()
        await bot.post(payloads.text_message("to the second number", phone_number_id="222"))
        await bot.settle()
        url = bot.settings.store.url
        both = customer_timeline(url, CUSTOMER)
        second = customer_timeline(url, CUSTOMER, number="222")
        assert customer_timeline(url, "15550000000") is None
        assert customer_timeline(url, CUSTOMER, number="999") is None
        assert customer_timeline(url, CUSTOMER[1:]) is None  # not a part of another id
    assert {c.number for c in both.conversations} == {NUMBER, "222"}
    assert [e.text for e in both.entries if e.kind == "inbound"] == [
        "to the first number", "to the second number"]
    assert [c.key for c in second.conversations] == [f"222:{CUSTOMER}"]
    assert {e.conversation for e in second.entries} == {f"222:{CUSTOMER}"}


async def test_conversations_are_found_by_number_name_or_user_id(tmp_path, graph, store):
    clock = ManualClock()
    async with await running(tmp_path, graph, store, clock, plugins={}) as bot:
        await bot.post(payloads.text_message("hi", sender="15550001111", name="Ada Lovelace"))
        await bot.post(payloads.text_message("hi", sender="15550002222", name="Alan Turing",
                                             user_id="US.777000"))
        await bot.settle()
        clock.advance(25 * 3600)  # both windows closed
        await bot.post(payloads.text_message("again", sender="15550002222", name="Alan Turing",
                                             timestamp=int(clock())))
        await bot.settle()
        with open_reader(bot.settings.store.url) as reader:
            def found(query):
                return [row.customer for row in reader.conversations(query, now=clock())]
            everyone = reader.conversations(None, now=clock())
            assert found("ada") == ["15550001111"]
            assert found("TURING") == ["15550002222"]
            assert found("US.777") == ["15550002222"]
            assert found("0001111") == ["15550001111"]
            assert found(NUMBER) == ["15550002222", "15550001111"]  # the newest first
            assert found("nobody") == []
    assert [(row.customer, row.window_open, row.mode) for row in everyone] == [
        ("15550002222", True, "bot"), ("15550001111", False, "bot")]
    assert everyone[0].name == "Alan Turing" and everyone[1].name == "Ada Lovelace"


async def test_the_funnel_counts_each_message_at_the_furthest_status_it_reached(
        tmp_path, graph, store):
    async with await running(tmp_path, graph, store, plugins={}) as bot:
        statuses = [("m1", "sent"), ("m1", "delivered"), ("m1", "read"),
                    ("m2", "read"),  # its sent and delivered never came
                    ("m3", "sent"), ("m3", "delivered"),
                    ("m4", "sent"), ("m4", "failed"),
                    ("m5", "failed")]
        for wamid, status in statuses:
            errors = [payloads.error_object(131049, "Ecosystem")] if wamid == "m5" else None
            await bot.post(payloads.status(wamid, status, errors=errors))
        await bot.post(payloads.status("o1", "delivered", phone_number_id="222",
                                       display_phone_number="15559990000"))
        await bot.post(payloads.status("m1", "read"))  # Meta's retry: counted once
        await bot.settle()
        with open_reader(bot.settings.store.url) as reader:
            first, second = reader.funnel(0)
            assert reader.funnel(bot.bot.clock() + 3600) == []
    assert (first.number, first.display, first.messages, first.sent, first.delivered,
            first.read) == (NUMBER, payloads.DISPLAY_PHONE_NUMBER, 5, 4, 3, 2)
    assert first.failed == ((131026, 1), (131049, 1)) and first.failed_total == 2
    assert (second.number, second.messages, second.sent, second.delivered, second.read,
            second.failed) == ("222", 1, 1, 1, 0, ())


def test_a_store_that_cannot_be_read_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="no store at"):
        customer_timeline(f"sqlite:///{tmp_path}/missing.db", CUSTOMER)
    with pytest.raises(StoreError, match="unsupported store URL scheme 'postgres'"):
        customer_timeline("postgres://user:secret@db/botkit", CUSTOMER)
    with pytest.raises(StoreError) as caught:
        customer_timeline("redis://user:hunter22@127.0.0.1:1/0", CUSTOMER)
    assert "hunter22" not in str(caught.value) and "127.0.0.1:1" in str(caught.value)


async def test_a_message_that_failed_its_schema_shows_as_quarantined(tmp_path, graph, store):
    async with await running(tmp_path, graph, store) as bot:
        # A body must be a string. (Without its contact: only the message is under test.)
        # A timestamp must be digits (a broken body alone would still be dispatched, marked
        # incomplete).
        await bot.post(payloads.message("text", {"body": 42}, with_contact=False,
                                        extra={"timestamp": "soon"}))
        await bot.settle()
        timeline = customer_timeline(bot.settings.store.url, CUSTOMER)
    [entry] = timeline.entries
    assert (entry.kind, entry.type, entry.text, entry.state, entry.deliveries) == (
        "inbound", "text", None, "quarantined", ())
    assert graph.sent_messages() == []
