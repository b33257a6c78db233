"""`botkit send-test` playing a customer: `--text`, `--button ID:TITLE`, `--from`, `--name`,
against a real bot on a loopback port (served from a thread of its own, so that the command's
own event loop can talk to it)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from click.testing import CliRunner
from samples import Recorder

from botkit.cli.send_test import Customer, split_button
from botkit.cli.send_test import send_test as send_test_command
from botkit.testing import APP_SECRET, BotRunner, make_settings


class ThreadedBot:
    def __init__(self, settings, recorder: Recorder) -> None:
        self.runner = BotRunner(settings, extra_plugins={"rec": recorder})
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def __enter__(self) -> ThreadedBot:
        self.thread.start()
        self.call(self.runner.__aenter__())
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.runner.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def bot(tmp_path, recorder):
    with ThreadedBot(make_settings(tmp_path, enabled_plugins=["rec"]), recorder) as running:
        yield running


def send_test(bot, *args: str):
    result = CliRunner(env={"BOTKIT_CONFIG": None, "WHATSAPP_APP_SECRET": None}).invoke(
        send_test_command, ["--url", bot.runner.url, "--secret", APP_SECRET, *args])
    bot.call(bot.runner.settle())
    return result


def messages(recorder: Recorder) -> list:
    return [e for e in recorder.events if e.kind == "message"]


def test_text_from_a_customer(bot, recorder):
    result = send_test(bot, "--text", "Do you deliver to Porto?", "--from", "+351 912 345 678",
                       "--name", "Rui")
    assert result.exit_code == 0, result.output
    assert "200: 1" in result.output and "botkit fake-graph" in result.output
    [message] = messages(recorder)
    assert (message.type, message.text, message.sender) == ("text", "Do you deliver to Porto?",
                                                            "351912345678")
    assert message.contact is not None and message.contact.name == "Rui"


def test_a_button_tap_with_a_typed_id(bot, recorder):
    result = send_test(bot, "--button", "pick:l:2:blue:0:~:2 large")
    assert result.exit_code == 0, result.output
    [tap] = messages(recorder)
    assert (tap.type, tap.reply_id, tap.text) == ("interactive", "pick:l:2:blue:0:~", "2 large")
    assert tap.sender == "15557654321"  # the sample customer when --from is not given


def test_repeated_texts_are_new_messages_each_time(bot, recorder):
    result = send_test(bot, "--text", "hi", "--repeat", "3")
    assert result.exit_code == 0, result.output
    assert [m.text for m in messages(recorder)] == ["hi"] * 3
    assert len({m.id for m in messages(recorder)}) == 3


def test_from_applies_to_samples_too(bot, recorder):
    assert send_test(bot, "--kind", "image", "--from", "4915112345678").exit_code == 0
    assert send_test(bot, "--kind", "status_read", "--from", "4915112345678").exit_code == 0
    image = messages(recorder)[0]
    status = next(e for e in recorder.events if e.kind == "status")
    assert (image.type, image.sender) == ("image", "4915112345678")
    assert status.recipient_id == "4915112345678"


def test_a_username_only_customer(bot, recorder):
    assert send_test(bot, "--text", "hello", "--from", "US.13491208655302741918").exit_code == 0
    [message] = messages(recorder)
    assert (message.sender, message.sender_user_id) == (None, "US.13491208655302741918")


@pytest.mark.parametrize(("args", "complaint"), [
    (["--text", "a", "--button", "b:c"], "not both"),
    (["--text", "   "], "empty"),
    (["--from", "call me"], "expected a WhatsApp number"),
    (["--from", "12"], "expected a WhatsApp number"),
    (["--button", ":Title"], "expected ID:TITLE"),
])
def test_usage_errors_name_the_problem(args, complaint):
    result = CliRunner().invoke(send_test_command, ["--url", "http://127.0.0.1:9/webhook",
                                                    "--secret", "s", *args])
    assert result.exit_code == 2
    assert complaint in result.output


def test_file_bodies_are_not_rebuilt(tmp_path):
    body = tmp_path / "b.json"
    body.write_text("{}")
    result = CliRunner().invoke(send_test_command, ["--file", str(body), "--text", "x",
                                                    "--secret", "s"])
    assert result.exit_code == 2 and "--file posts a body as it is" in result.output


def test_ids_and_numbers_are_read_as_documented():
    assert split_button("hours:Opening hours") == ("hours", "Opening hours")
    assert split_button("menu") == ("menu", "menu")
    assert Customer.parse("+1 (555) 765-4321", None).wa_id == "15557654321"
