"""Durable conversations through a running bot: state, nothing twice, timers, window, handoff."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from samples import db_rows

from botkit import hookimpl
from botkit.store.sqlite import sqlite_path
from botkit.testing import payloads


class Counter:
    """Counts up in the conversation state; replies with the count."""

    def __init__(self, fail_after_state: int = 0) -> None:
        self.calls = 0
        self.fail_after_state = fail_after_state

    @hookimpl
    async def message_received(self, bot, message):
        self.calls += 1
        conv = await bot.conversation()
        conv.data["count"] = conv.data.get("count", 0) + 1
        conv.set_state("counting")
        await message.reply(f"count {conv.data['count']}")
        if self.fail_after_state:
            self.fail_after_state -= 1
            raise RuntimeError("boom after changing the state")


class ManualClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def texts(graph) -> list[str]:
    return [m["text"]["body"] for m in graph.sent_messages() if m.get("type") == "text"]


def redeliver_all(bot) -> None:
    """As if the process had died before finishing its events: they are handed out again."""
    with sqlite3.connect(sqlite_path(bot.settings.store.url)) as conn:
        conn.execute("UPDATE events SET state = 'pending'")
    bot.bot.store.rewind()
    bot.app.extensions["botkit.dispatcher"].wake()


async def test_state_persists_and_a_redelivered_event_never_advances_it(
        botkit_runner_factory, fake_graph):
    counter = Counter()
    bot = await botkit_runner_factory(enabled_plugins=["counter"],
                                      extra_plugins={"counter": counter},
                                      whatsapp={"graph_url": fake_graph.url})
    for _ in range(3):
        await bot.post(payloads.text_message("hi"))
        await bot.settle()
    assert texts(fake_graph) == ["count 1", "count 2", "count 3"]
    redeliver_all(bot)
    await asyncio.sleep(0.3)
    await bot.settle()
    assert counter.calls == 3  # the handler is not asked again for handled events
    assert texts(fake_graph) == ["count 1", "count 2", "count 3"]
    [(state, data)] = db_rows(bot, "SELECT state, data FROM conversation_state")
    assert state == "counting" and b'"count":3' in data


async def test_a_handler_that_fails_changes_nothing_and_its_retry_starts_over(
        botkit_runner_factory, fake_graph):
    counter = Counter(fail_after_state=2)
    bot = await botkit_runner_factory(enabled_plugins=["counter"],
                                      extra_plugins={"counter": counter},
                                      whatsapp={"graph_url": fake_graph.url})
    await bot.post(payloads.text_message("hi"))
    await bot.settle()
    assert counter.calls == 3  # two failures, then success
    assert texts(fake_graph) == ["count 1"]  # not 3: the failed attempts committed nothing


class AskOnce:
    def __init__(self) -> None:
        self.asked = 0

    @hookimpl
    def reply_for_message(self, message):
        self.asked += 1
        return f"answer {self.asked}"


async def test_a_reply_is_asked_for_once_and_its_send_retried_as_it_was(
        botkit_runner_factory, fake_graph):
    asker = AskOnce()
    fake_graph.fail_next(2, status=503)
    bot = await botkit_runner_factory(enabled_plugins=["asker"], extra_plugins={"asker": asker},
                                      whatsapp={"graph_url": fake_graph.url})
    await bot.post(payloads.text_message("hi"))
    await bot.settle()
    assert asker.asked == 1
    assert texts(fake_graph) == ["answer 1"]


class Reminder:
    def __init__(self) -> None:
        self.fired: list[tuple[str, dict]] = []

    @hookimpl
    async def message_received(self, bot, message):
        conv = await bot.conversation()
        if message.text == "cancel":
            conv.cancel("nudge")
        else:
            conv.schedule("nudge", delay=60, data={"said": message.text})

    @hookimpl
    async def timer_fired(self, bot, timer):
        self.fired.append((timer.name, dict(timer.data)))
        conv = await bot.conversation()
        conv.send("are you still there?")


async def test_hook_timer_fired(botkit_runner_factory, fake_graph):
    """A timer fires once for its plugin only, and can be replaced or cancelled."""
    clock, reminder, other = ManualClock(), Reminder(), Reminder()
    bot = await botkit_runner_factory(
        enabled_plugins=["reminder", "other"],
        extra_plugins={"reminder": reminder, "other": other},
        whatsapp={"graph_url": fake_graph.url}, clock=clock,
        conversations={"timer_poll_seconds": 0.05})
    await bot.post(payloads.text_message("first"))
    await bot.post(payloads.text_message("second"))  # replaces the pending nudge
    await bot.settle()
    clock.now += 61
    await asyncio.sleep(0.3)
    await bot.settle()
    assert reminder.fired == [("nudge", {"said": "second"})]
    assert other.fired == [("nudge", {"said": "second"})]  # its own timer, not reminder's
    assert texts(fake_graph).count("are you still there?") == 2
    clock.now += 600
    await asyncio.sleep(0.2)
    await bot.settle()
    assert len(reminder.fired) == 1  # once
    await bot.post(payloads.text_message("again"))
    await bot.post(payloads.text_message("cancel"))
    await bot.settle()
    clock.now += 61
    await asyncio.sleep(0.2)
    await bot.settle()
    assert len(reminder.fired) == 1


class Desk:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.ended: list[str] = []
        self.flags: list[bool] = []

    @hookimpl
    async def message_received(self, bot, message):
        self.flags.append(message.with_human)
        conv = await bot.conversation()
        if message.text == "agent":
            conv.hand_to_human(reason="asked for a person")
        await message.reply(f"bot says: {message.text}")

    @hookimpl
    def handoff_started(self, handoff):
        self.started.append(handoff.customer)

    @hookimpl
    def handoff_ended(self, handoff):
        self.ended.append(handoff.by or "")


async def test_hook_handoff_ended(botkit_runner_factory, fake_graph):
    """A plugin's handoff silences the bot until an operator resumes it from the CLI."""
    from click.testing import CliRunner

    from botkit.cli.main import cli

    desk = Desk()
    bot = await botkit_runner_factory(enabled_plugins=["desk"], extra_plugins={"desk": desk},
                                      whatsapp={"graph_url": fake_graph.url},
                                      conversations={"timer_poll_seconds": 0.05})
    await bot.post(payloads.text_message("hello"))
    await bot.post(payloads.text_message("agent"))
    await bot.settle()
    await asyncio.sleep(0.2)
    await bot.settle()
    assert texts(fake_graph) == ["bot says: hello"]  # the reply to "agent" is held back
    assert desk.started == [payloads.CUSTOMER_WA_ID]
    await bot.post(payloads.text_message("still there?"))
    await bot.settle()
    assert texts(fake_graph) == ["bot says: hello"]
    assert desk.flags[-1] is True

    settings_file = sqlite_path(bot.settings.store.url).parent / "botkit.toml"
    settings_file.write_text(
        f'[whatsapp]\nverify_token = "x"\napp_secret = "y"\n'
        f'[store]\nurl = "{bot.settings.store.url}"\n')
    listed = await asyncio.to_thread(CliRunner().invoke, cli,
                                     ["handoff", "list", "--config", str(settings_file)])
    assert payloads.CUSTOMER_WA_ID in listed.output, listed.output
    resumed = await asyncio.to_thread(CliRunner().invoke, cli, [
        "handoff", "resume", payloads.CUSTOMER_WA_ID, "--config", str(settings_file)])
    assert resumed.exit_code == 0, resumed.output
    await asyncio.sleep(1.3)  # the dispatcher finds the command's handoff event at its poll
    await bot.settle()
    assert desk.ended == ["operator"]
    await bot.post(payloads.text_message("back?"))
    await bot.settle()
    assert texts(fake_graph)[-1] == "bot says: back?"


async def test_hook_handoff_started(botkit_runner_factory, fake_graph):
    """A reply from the WhatsApp Business app hands the conversation to a person."""
    desk = Desk()
    bot = await botkit_runner_factory(enabled_plugins=["desk"], extra_plugins={"desk": desk},
                                      whatsapp={"graph_url": fake_graph.url})
    echo = payloads.field_change("smb_message_echoes", {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": payloads.DISPLAY_PHONE_NUMBER,
                     "phone_number_id": payloads.PHONE_NUMBER_ID},
        "message_echoes": [{"from": payloads.DISPLAY_PHONE_NUMBER,
                            "to": payloads.CUSTOMER_WA_ID, "id": "wamid.ECHO1",
                            "timestamp": str(int(time.time())), "type": "text",
                            "text": {"body": "I'll take it from here"}}]})
    await bot.post(echo)
    await bot.settle()
    await asyncio.sleep(0.2)
    await bot.settle()
    assert desk.started == [payloads.CUSTOMER_WA_ID]
    await bot.post(payloads.text_message("hi"))
    await bot.settle()
    assert texts(fake_graph) == []


class Late:
    @hookimpl
    async def message_received(self, bot, message):
        await message.reply("free-form", fallback={
            "type": "template", "template": {"name": "order_followup",
                                             "language": {"code": "en_US"}}})
        await message.reply("another free-form", fallback={
            "type": "template", "template": {"name": "order_followup",
                                             "language": {"code": "en_US"}}})


class LateNoFallback:
    @hookimpl
    async def message_received(self, bot, message):
        await message.reply("free-form")


async def test_outside_the_window_the_fallback_template_goes_once(botkit_runner_factory,
                                                                  fake_graph):
    bot = await botkit_runner_factory(enabled_plugins=["late"], extra_plugins={"late": Late()},
                                      whatsapp={"graph_url": fake_graph.url})
    await bot.post(payloads.text_message("hi", timestamp=int(time.time()) - 25 * 3600))
    await bot.settle()
    sent = fake_graph.sent_messages()
    assert [m["type"] for m in sent] == ["template"]
    assert sent[0]["template"]["name"] == "order_followup"


async def test_outside_the_window_without_a_fallback_nothing_is_sent(botkit_runner_factory,
                                                                     fake_graph):
    from test_hooks import Failures

    failures = Failures()
    bot = await botkit_runner_factory(enabled_plugins=["late", "failures"],
                                      extra_plugins={"late": LateNoFallback(),
                                                     "failures": failures},
                                      whatsapp={"graph_url": fake_graph.url})
    await bot.post(payloads.text_message("hi", timestamp=int(time.time()) - 25 * 3600))
    await bot.settle()
    assert fake_graph.sent_messages() == []
    [(_, plugin, error)] = failures.dead
    assert plugin == "late" and "window is closed" in error


class Direct:
    """Sends with bot.whatsapp directly, outside the outbox."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    @hookimpl
    async def message_received(self, bot, message):
        try:
            await bot.whatsapp.send(message.phone_number_id, message.sender,
                                    {"type": "text", "text": {"body": "direct"}})
        except Exception as exc:
            self.errors.append(type(exc).__name__)


async def test_direct_sends_outside_the_window_are_refused_or_replaced_by_the_fallback(
        botkit_runner_factory, fake_graph):
    late = int(time.time()) - 25 * 3600
    refusing = Direct()
    bot = await botkit_runner_factory(enabled_plugins=["direct"],
                                      extra_plugins={"direct": refusing},
                                      whatsapp={"graph_url": fake_graph.url})
    await bot.post(payloads.text_message("hi", timestamp=late))
    await bot.settle()
    assert refusing.errors == ["WindowClosed"] and fake_graph.sent_messages() == []

    replacing = Direct()
    other = await botkit_runner_factory(
        enabled_plugins=["direct"], extra_plugins={"direct": replacing},
        whatsapp={"graph_url": fake_graph.url},
        conversations={"fallback_template": "we_are_back", "fallback_language": "en_GB"})
    await other.post(payloads.text_message("hi", timestamp=late))
    await other.settle()
    [sent] = fake_graph.sent_messages()
    assert replacing.errors == [] and sent["template"]["name"] == "we_are_back"

    await other.post(payloads.text_message("hi again"))  # a fresh message opens the window
    await other.settle()
    await asyncio.sleep(0.2)
    await other.post(payloads.text_message("and again"))
    await other.settle()
    assert texts(fake_graph)[-1:] == ["direct"]
