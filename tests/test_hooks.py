"""One test per hook, through the real app on a loopback server."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner
from samples import db_rows, payload_bytes

from botkit import PermanentError, hookimpl

TEXT = payload_bytes("message_text.json")


@pytest.fixture
async def recording_bot(botkit_runner_factory, recorder, payload_clock):
    """A running bot whose only plugin records every event hook call."""
    return await botkit_runner_factory(enabled_plugins=["rec"], extra_plugins={"rec": recorder},
                                       clock=payload_clock)


class Lifecycle:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    async def startup(self, bot) -> None:
        bot.state["lifecycle"] = "open"
        self.seen.append("startup")

    @hookimpl
    def shutdown(self, bot) -> None:
        self.seen.append(f"shutdown:{bot.state['lifecycle']}")


async def test_hook_startup(botkit_runner_factory):
    plugin = Lifecycle()
    bot = await botkit_runner_factory(enabled_plugins=["life"], extra_plugins={"life": plugin})
    assert plugin.seen == ["startup"]
    assert bot.bot.state["lifecycle"] == "open"


async def test_hook_shutdown(tmp_path):
    from botkit.testing import BotRunner, make_settings

    plugin = Lifecycle()
    async with BotRunner(
        make_settings(tmp_path, enabled_plugins=["life"]), extra_plugins={"life": plugin}
    ):
        assert plugin.seen == ["startup"]
    assert plugin.seen == ["startup", "shutdown:open"]


async def test_failing_startup_stops_the_server(tmp_path):
    from botkit.testing import BotRunner, make_settings

    class Broken:
        @hookimpl
        def startup(self, bot):
            raise RuntimeError("cannot reach the CRM")

    runner = BotRunner(
        make_settings(tmp_path, enabled_plugins=["broken"]), extra_plugins={"broken": Broken()}
    )
    with pytest.raises(RuntimeError):
        await runner.__aenter__()


async def test_hook_message_received(recording_bot, recorder):
    bot = recording_bot
    await bot.post(TEXT)
    await bot.settle()
    [message] = [e for e in recorder.events if e.kind == "message"]
    assert message.type == "text" and message.sender == "15557654321"
    assert message.phone_number_id == "109862385428321"
    assert message.contact.name == "Priya Raman"
    assert message.raw["text"]["body"] == message.text


async def test_hook_status_received(recording_bot, recorder):
    bot = recording_bot
    await bot.post(payload_bytes("status_sent.json"))
    await bot.settle()
    [status] = recorder.events
    assert status.status == "sent" and status.pricing_category == "marketing"
    assert status.key == f"status:{status.id}:sent"


async def test_hook_contact_updated(recording_bot, recorder):
    bot = recording_bot
    await bot.post(TEXT)
    await bot.post(TEXT.replace(b"Hi! Do you", b"Hello, do you").replace(b"NQA=", b"NQB="))
    renamed = TEXT.replace(b"Priya Raman", b"Priya R.").replace(b"NQA=", b"NQC=")
    await bot.post(renamed)
    await bot.settle()
    contacts = [e for e in recorder.events if e.kind == "contact"]
    assert [c.name for c in contacts] == ["Priya Raman", "Priya R."]  # only when it changes
    assert contacts[0].change == "profile" and contacts[0].wa_id == "15557654321"


async def test_hook_event_received(recording_bot, recorder):
    bot = recording_bot
    await bot.post(payload_bytes("field_message_template_status_update.json"))
    await bot.settle()
    [event] = recorder.events
    assert event.field == "message_template_status_update"
    assert event.event == "APPROVED"
    assert event.waba_id == "104996122399160"


async def test_hook_error_received(recording_bot, recorder):
    bot = recording_bot
    await bot.post(payload_bytes("message_errors_value_level.json"))
    await bot.settle()
    [error] = recorder.events
    assert isinstance(error.code, int) and error.title


class Replier:
    def __init__(self, answer) -> None:
        self.answer = answer
        self.asked = 0

    @hookimpl
    async def reply_for_message(self, message):
        self.asked += 1
        return self.answer(message)


async def test_hook_reply_for_message(botkit_runner_factory, fake_graph, payload_clock):
    silent, replier = Replier(lambda m: None), Replier(lambda m: f"echo: {m.text}")
    bot = await botkit_runner_factory(
        enabled_plugins=["silent", "replier"],
        extra_plugins={"silent": silent, "replier": replier},
        whatsapp={"graph_url": fake_graph.url},
        clock=payload_clock,
    )
    await bot.post(TEXT)
    await bot.post(TEXT)  # a redelivery: no second reply
    await bot.settle()
    [sent] = fake_graph.sent_messages("109862385428321")
    assert sent["to"] == "15557654321"
    assert sent["text"]["body"] == "echo: Hi! Do you have the blue planter in stock?"
    assert (silent.asked, replier.asked) == (1, 1)


async def test_no_reply_stops_the_chain(botkit_runner_factory, fake_graph, payload_clock):
    from botkit import NO_REPLY

    quiet, replier = Replier(lambda m: NO_REPLY), Replier(lambda m: "never sent")
    bot = await botkit_runner_factory(
        enabled_plugins=["quiet", "replier"], extra_plugins={"quiet": quiet, "replier": replier},
        whatsapp={"graph_url": fake_graph.url}, clock=payload_clock)
    await bot.post(TEXT)
    await bot.settle()
    assert fake_graph.sent_messages() == []
    assert (quiet.asked, replier.asked) == (1, 0)


class Flaky:
    """Fails a given number of times, then succeeds."""

    def __init__(self, failures: int, permanent: bool = False) -> None:
        self.failures, self.permanent = failures, permanent
        self.attempts: list[int] = []

    @hookimpl
    def message_received(self, message) -> None:
        self.attempts.append(message.attempt)
        if len(self.attempts) <= self.failures:
            raise (PermanentError if self.permanent else ConnectionError)("CRM unreachable")


class Failures:
    def __init__(self) -> None:
        self.dead: list[tuple[str, str, str]] = []

    @hookimpl
    async def delivery_failed(self, event, plugin, error) -> None:
        self.dead.append((event.key, plugin, str(error)))


async def test_hook_delivery_failed(botkit_runner_factory, recorder, payload_clock):
    flaky, failures = Flaky(failures=99), Failures()
    bot = await botkit_runner_factory(
        enabled_plugins=["rec", "flaky", "failures"],
        extra_plugins={"rec": recorder, "flaky": flaky, "failures": failures},
        dispatch={"max_attempts": 3},
        clock=payload_clock,
    )
    await bot.post(TEXT)
    await bot.settle()
    assert flaky.attempts == [1, 2, 3]
    assert recorder.counts()["message_received"] == 1  # the healthy plugin ran once
    [(key, plugin, error)] = failures.dead
    assert key.startswith("message:") and plugin == "flaky" and "CRM unreachable" in error
    rows = db_rows(bot, "SELECT plugin, state, attempts FROM deliveries ORDER BY plugin")
    assert ("flaky", "dead", 3) in rows


async def test_retry_runs_only_the_failing_plugin(botkit_runner_factory, recorder, payload_clock):
    flaky = Flaky(failures=2)
    bot = await botkit_runner_factory(
        enabled_plugins=["rec", "flaky"],
        extra_plugins={"rec": recorder, "flaky": flaky},
        clock=payload_clock,
    )
    await bot.post(TEXT)
    await bot.settle()
    assert flaky.attempts == [1, 2, 3]
    assert recorder.counts()["message_received"] == 1
    assert db_rows(bot, "SELECT state FROM events WHERE kind = 'message'") == [("done",)]


async def test_permanent_errors_are_not_retried(botkit_runner_factory, payload_clock):
    flaky, failures = Flaky(failures=1, permanent=True), Failures()
    bot = await botkit_runner_factory(
        enabled_plugins=["flaky", "failures"],
        extra_plugins={"flaky": flaky, "failures": failures},
        clock=payload_clock,
    )
    await bot.post(TEXT)
    await bot.settle()
    assert flaky.attempts == [1]
    assert len(failures.dead) == 1


async def test_hook_register_routes(botkit_runner_factory):
    from quart import jsonify

    class Routes:
        @hookimpl
        def register_routes(self, bot, register):
            async def hello():
                return jsonify(plugins=list(bot.plugins.names))

            register("/hello", hello)

    bot = await botkit_runner_factory(
        enabled_plugins=["routes"], extra_plugins={"routes": Routes()}
    )
    response = await bot.client.get("/hello")
    assert response.status_code == 200 and response.json() == {"plugins": ["routes"]}


async def test_routes_may_not_take_the_webhook_path(tmp_path, caplog):
    from botkit.testing import BotRunner, make_settings

    class Greedy:
        @hookimpl
        def register_routes(self, register):
            register("/webhook", lambda: "mine")

    runner = BotRunner(
        make_settings(tmp_path, enabled_plugins=["greedy"]), extra_plugins={"greedy": Greedy()}
    )
    with pytest.raises(RuntimeError, match="failed to start"):
        await runner.__aenter__()
    assert "route /webhook is already taken" in caplog.text


def test_hook_register_commands(installed_plugin):
    from botkit.cli.main import cli

    installed_plugin(
        "hello",
        '''
import click
from botkit import hookimpl

@hookimpl
def register_commands(cli):
    @cli.command()
    def hello():
        """Say hello."""
        click.echo("hello from a plugin")
''',
    )
    result = CliRunner().invoke(cli, ["hello"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello from a plugin\n"


async def test_a_reply_is_never_sent_twice_across_a_crash(botkit_runner_factory, fake_graph,
                                                          payload_clock):
    replier, failures = Replier(lambda m: "hello"), Failures()
    bot = await botkit_runner_factory(
        enabled_plugins=["replier", "failures"],
        extra_plugins={"replier": replier, "failures": failures},
        whatsapp={"graph_url": fake_graph.url}, clock=payload_clock)
    await bot.post(TEXT)
    await bot.settle()
    assert len(fake_graph.sent_messages()) == 1
    [(key, status)] = db_rows(bot, "SELECT event_key, status FROM outbox "
                                   "WHERE plugin = 'botkit.reply'")
    assert status == "sent"  # recorded as soon as Meta accepted the reply
    [(seq,)] = db_rows(bot, f"SELECT seq FROM events WHERE key = '{key}'")

    import sqlite3

    from botkit.store.sqlite import sqlite_path

    # As if the process had died after sending, before finishing the event:
    with sqlite3.connect(sqlite_path(bot.settings.store.url)) as conn:
        conn.execute("UPDATE events SET state = 'pending' WHERE seq = ?", (seq,))
    bot.bot.store.rewind()
    bot.app.extensions["botkit.dispatcher"].wake()
    await asyncio.sleep(0.2)
    await bot.settle()
    assert len(fake_graph.sent_messages()) == 1

    # As if it had died while the send was under way: the outcome is unknown, so no resend.
    with sqlite3.connect(sqlite_path(bot.settings.store.url)) as conn:
        conn.execute("UPDATE outbox SET status = 'sending' WHERE event_key = ?", (key,))
        conn.execute("UPDATE events SET state = 'pending' WHERE seq = ?", (seq,))
    bot.bot.store.rewind()
    bot.app.extensions["botkit.dispatcher"].wake()
    await asyncio.sleep(0.2)
    await bot.settle()
    assert len(fake_graph.sent_messages()) == 1
    [(_, plugin, error)] = failures.dead
    assert plugin == "botkit.reply" and "outcome unknown" in error
