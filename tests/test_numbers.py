"""Several business numbers behind one webhook: each number's token, plugins and plugin settings.

A real bot on loopback (on SQLite and on Redis) takes signed webhooks for three numbers and
answers through the fake Graph API over real HTTP, which knows which token each number needs:
the shop's number has a token of its own, the support number uses the top-level token with its
own plugins, and a number with no table runs on the top-level settings.
"""

from __future__ import annotations

import logging

import pytest

from botkit import hookimpl
from botkit.errors import SettingsError
from botkit.plugins import load_plugins
from botkit.testing.fake_graph import FakeGraphAPI
from botkit.testing.harness import ACCESS_TOKEN, BotRunner, make_settings
from botkit.testing.payloads import status, text_message
from botkit.whatsapp.client import WhatsAppClient
from botkit.whatsapp.errors import AuthError

SHOP, SUPPORT, UNLISTED = "106540352242922", "106540352242933", "106540352242944"
SHOP_TOKEN = "shop-token-1b2c"
SHOP_WABA = "102290129340398"


class Echo:
    """Answers every text with its configured ``text`` (so the reply shows whose table won)."""

    config_schema = {
        "type": "object", "additionalProperties": False, "required": ["text"],
        "properties": {"text": {"type": "string"},
                       "style": {"type": "object", "properties": {
                           "emoji": {"type": "string"}, "bold": {"type": "boolean"}}}},
    }

    @hookimpl
    async def message_received(self, bot, message):
        config = bot.config("echo")
        style = config.get("style", {})
        await message.reply(f"{config['text']}{style.get('emoji', '')}")


class Spy:
    """Records the business number of every event it sees, by hook."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    @hookimpl
    def message_received(self, message):
        self.seen.append(("message", message.phone_number_id))

    @hookimpl
    def status_received(self, status):
        self.seen.append(("status", status.phone_number_id))


def numbers_settings(tmp_path, graph_url, store=None, **overrides):
    numbers = {
        SHOP: {"access_token": SHOP_TOKEN, "enabled_plugins": ["echo"],
               "waba_id": SHOP_WABA, "label": "shop",
               "plugins": {"echo": {"text": "shop says hi", "style": {"emoji": "!"}}}},
        SUPPORT: {"enabled_plugins": ["echo", "spy"]},
    }
    numbers.update(overrides)
    return make_settings(tmp_path, enabled_plugins=["echo", "spy"],
                         plugins={"echo": {"text": "hello",
                                           "style": {"emoji": "?", "bold": True}}},
                         whatsapp={"graph_url": graph_url}, numbers=numbers,
                         **({"store": store} if store else {}))


@pytest.fixture
def graph():
    fake = FakeGraphAPI(access_token=ACCESS_TOKEN).start()
    fake.add_number(SHOP, SHOP_TOKEN)
    try:
        yield fake
    finally:
        fake.stop()


def sends(graph):
    """(phone_number_id in the path, bearer token, text) of every /messages call."""
    return sorted((r.path.split("/")[2], r.bearer, r.json["text"]["body"])
                  for r in graph.requests if r.path.endswith("/messages"))


async def test_each_number_answers_with_its_token_plugins_and_settings(tmp_path, graph, caplog,
                                                                      store):
    spy = Spy()
    settings = numbers_settings(tmp_path, graph.url, store)
    caplog.set_level(logging.INFO)
    async with BotRunner(settings, extra_plugins={"echo": Echo(), "spy": spy}) as runner:
        for number in (SHOP, SUPPORT, UNLISTED, UNLISTED):
            answer = await runner.post(text_message("hi", phone_number_id=number))
            assert answer.status_code == 200
        await runner.post(status(phone_number_id=SHOP))
        await runner.settle()
        metrics = (await runner.client.get("/metrics")).text
    assert sends(graph) == sorted([
        (SHOP, SHOP_TOKEN, "shop says hi!"),  # own token; own table merged over the top one
        (SUPPORT, ACCESS_TOKEN, "hello?"),  # no token of its own: the top-level one
        (UNLISTED, ACCESS_TOKEN, "hello?"),
        (UNLISTED, ACCESS_TOKEN, "hello?"),
    ])
    # the spy is not enabled for the shop: none of the shop's events reach it
    assert sorted(spy.seen) == [("message", SUPPORT), ("message", UNLISTED),
                                ("message", UNLISTED)]
    assert f'botkit_events_total{{kind="message",number="{UNLISTED}"}} 2.0' in metrics
    assert f'botkit_events_total{{kind="status",number="{SHOP}"}} 1.0' in metrics
    unlisted = [r.getMessage() for r in caplog.records if f"[numbers.{UNLISTED}]" in
                r.getMessage()]
    assert len(unlisted) == 1, "an unconfigured number is logged once, not per event"
    assert SHOP_TOKEN not in caplog.text and "shop says hi" not in caplog.text


async def test_a_handler_reads_its_numbers_table_and_can_ask_for_another(tmp_path, graph):
    settings = numbers_settings(tmp_path, graph.url)
    plugins = load_plugins(settings, {"echo": Echo(), "spy": Spy()})
    assert plugins.config("echo", SHOP) == {"text": "shop says hi",
                                            "style": {"emoji": "!", "bold": True}}
    assert plugins.config("echo", UNLISTED) == plugins.configs["echo"]
    with pytest.raises(KeyError):
        plugins.config("spy", SHOP)  # not enabled for the shop
    async with BotRunner(settings, extra_plugins={"echo": Echo(), "spy": Spy()}) as runner:
        assert runner.bot.config("echo", SHOP)["text"] == "shop says hi"
        assert runner.bot.config("echo")["text"] == "hello"  # outside a handler: top level
        with pytest.raises(KeyError, match=f"not enabled for number {SHOP}"):
            runner.bot.config("spy", SHOP)


async def test_account_events_reach_the_plugins_of_numbers_in_that_account(tmp_path, graph):
    from botkit.testing.payloads import field_change

    class Watcher:
        def __init__(self) -> None:
            self.accounts: list[str] = []

        @hookimpl
        def event_received(self, event):
            self.accounts.append(event.waba_id)

    watcher = Watcher()
    settings = numbers_settings(
        tmp_path, graph.url,
        **{SHOP: {"enabled_plugins": ["echo", "watcher"], "waba_id": SHOP_WABA,
                  "plugins": {"echo": {"text": "shop"}}}})
    extra = {"echo": Echo(), "spy": Spy(), "watcher": watcher}
    async with BotRunner(settings, extra_plugins=extra) as runner:
        await runner.post(field_change("account_update", waba_id=SHOP_WABA))
        await runner.post(field_change("account_update", waba_id="999000111"))
        await runner.settle()
    assert watcher.accounts == [SHOP_WABA]


def test_every_numbers_problem_is_reported_with_its_path(tmp_path):
    settings = make_settings(
        tmp_path, enabled_plugins=["echo"], plugins={"echo": {"text": "hi"}},
        numbers={SHOP: {"enabled_plugins": ["echo", "ecko"],
                        "plugins": {"echo": {"text": 5}, "spy": {}}},
                 SUPPORT: {"plugins": {"echo": {"loud": True}}}})
    with pytest.raises(SettingsError) as error:
        load_plugins(settings, {"echo": Echo()})
    problems = [p.partition(" (installed")[0] for p in error.value.problems]
    assert problems == [
        f"numbers.{SHOP}.enabled_plugins: plugin 'ecko' is not installed",
        f"numbers.{SHOP}.plugins.echo.text: 5 is not of type 'string'",
        f"numbers.{SUPPORT}.plugins.echo: unknown key(s) ('loud' was unexpected)",
        f"numbers.{SHOP}.plugins.spy: settings given for a plugin that is not enabled for this "
        "number (echo, ecko)",
    ]


def test_a_bad_token_reference_or_number_fails_start_up_with_its_path(tmp_path):
    with pytest.raises(SettingsError) as error:
        make_settings(tmp_path, numbers={SHOP: {"access_token": {"env": "NOT_SET_ANYWHERE"}}})
    assert error.value.problems == [
        f"numbers.{SHOP}.access_token: environment variable NOT_SET_ANYWHERE is not set"]
    with pytest.raises(SettingsError) as error:
        make_settings(tmp_path, numbers={"shop": {"enabled_plugins": []}})
    assert len(error.value.problems) == 1 and "numbers" in error.value.problems[0]
    assert "'shop' does not match" in error.value.problems[0]


def test_a_plugin_enabled_for_one_number_only_may_have_top_level_settings(tmp_path):
    settings = make_settings(tmp_path, enabled_plugins=[], plugins={"echo": {"text": "base"}},
                             numbers={SHOP: {"enabled_plugins": ["echo"]}})
    plugins = load_plugins(settings, {"echo": Echo()})
    assert plugins.names == ("echo",) and plugins.top_level == ()
    assert plugins.config("echo")["text"] == "base"  # for its start-up hook
    assert plugins.names_for(SHOP) == ("echo",) and plugins.names_for(UNLISTED) == ()
    assert plugins.config("echo", SHOP)["text"] == "base"
    with pytest.raises(KeyError):
        plugins.config("echo", UNLISTED)


async def test_a_number_without_any_token_is_refused_before_any_call(graph):
    async with WhatsAppClient(number_tokens={SHOP: SHOP_TOKEN}, graph_url=graph.url) as client:
        await client.send_text(SHOP, "15557654321", "from the shop")
        with pytest.raises(AuthError, match=f"no access token for business number {UNLISTED}"):
            await client.send_text(UNLISTED, "15557654321", "from nowhere")
    assert [(r.path.split("/")[2], r.bearer) for r in graph.requests] == [(SHOP, SHOP_TOKEN)]


async def test_the_fake_refuses_another_numbers_token_like_meta(graph):
    async with WhatsAppClient(access_token=ACCESS_TOKEN, graph_url=graph.url) as client:
        with pytest.raises(Exception, match="does not exist, cannot be loaded"):
            await client.send_text(SHOP, "15557654321", "wrong token")
    assert graph.sent_messages() == []


def test_templates_of_a_numbers_account_sync_with_its_token_and_check_its_sends(tmp_path):
    from click.testing import CliRunner
    from message_templates_kit import ORDER_CONFIRMATION

    from botkit.cli.templates import templates
    from botkit.message_templates import Template, UnknownTemplate, UrlButton, checked_template
    from botkit.testing.fake_graph.templates import fake_templates

    other_waba = "104996122399160"
    with FakeGraphAPI(access_token=ACCESS_TOKEN) as fake:
        fake.add_number(SHOP, SHOP_TOKEN, waba_id=SHOP_WABA)
        fake_templates(fake).add(SHOP_WABA, ORDER_CONFIRMATION)
        config = tmp_path / "botkit.toml"
        config.write_text(f"""
[whatsapp]
verify_token = "v"
app_secret = "s"
access_token = "{ACCESS_TOKEN}"
waba_id = "{other_waba}"
graph_url = "{fake.url}"
[store]
url = "sqlite:///{tmp_path / 'botkit.db'}"
[numbers.{SHOP}]
access_token = {{ env = "TOKEN_SHOP" }}
waba_id = "{SHOP_WABA}"
""")
        env = {"TOKEN_SHOP": SHOP_TOKEN, "WHATSAPP_ACCESS_TOKEN": None,
               "WHATSAPP_WABA_ID": None, "BOTKIT_CONFIG": None}
        synced = CliRunner().invoke(templates, ["sync", "--config", str(config),
                                                "--number", SHOP], env=env)
        assert synced.exit_code == 0, synced.output
        assert synced.output == f"synced 1 template(s) of WhatsApp Business Account {SHOP_WABA}\n"
        assert [r.bearer for r in fake.requests] == [SHOP_TOKEN]
        unknown = CliRunner().invoke(templates, ["sync", "--config", str(config),
                                                 "--number", UNLISTED], env=env)
        assert unknown.exit_code == 2 and f"no [numbers.{UNLISTED}] table" in unknown.output

    async def sends_are_checked() -> None:
        from botkit.settings import Settings

        settings = Settings.from_file(config, env={"TOKEN_SHOP": SHOP_TOKEN})
        template = Template("order_confirmation", "en_US", header="A-1",
                            body=["Ana", "July 3", "$12.50"], buttons=[UrlButton(1, "A-1")])
        async with BotRunner(settings) as runner:
            assert (await checked_template(runner.bot, template, phone_number_id=SHOP)
                    )["template"]["name"] == "order_confirmation"
            with pytest.raises(UnknownTemplate, match=other_waba):
                await checked_template(runner.bot, template)  # the top-level account's cache

    import asyncio
    asyncio.run(sends_are_checked())


async def test_one_customer_writing_to_two_numbers_has_two_conversations(tmp_path, graph):
    class Counter:
        def __init__(self) -> None:
            self.counts: list[tuple[str, str, int]] = []

        @hookimpl
        async def message_received(self, bot, message):
            conversation = await bot.conversation()
            count = conversation.data.get("count", 0) + 1
            conversation.set_state("counting", {"count": count})
            self.counts.append((conversation.phone_number_id, conversation.customer, count))

    counter = Counter()
    settings = make_settings(tmp_path, enabled_plugins=["counter"],
                             whatsapp={"graph_url": graph.url},
                             numbers={SHOP: {"access_token": SHOP_TOKEN}})
    async with BotRunner(settings, extra_plugins={"counter": counter}) as runner:
        for number in (SHOP, SUPPORT, SHOP):
            await runner.post(text_message("hi", phone_number_id=number, sender="15550001111"))
            await runner.settle()
    assert counter.counts == [(SHOP, "15550001111", 1), (SUPPORT, "15550001111", 1),
                              (SHOP, "15550001111", 2)]


def test_check_names_each_numbers_plugins_and_problems(tmp_path):
    from click.testing import CliRunner

    from botkit.cli.main import cli

    def check(numbers: str) -> object:
        config = tmp_path / "botkit.toml"
        config.write_text(f"""
enabled_plugins = ["auto-reply"]
[whatsapp]
verify_token = "v"
app_secret = "s"
access_token = "t"
[store]
url = "sqlite:///{tmp_path / 'botkit.db'}"
[plugins.auto-reply]
default_reply = "Thanks"
{numbers}""")
        return CliRunner().invoke(cli, ["check", "--config", str(config)],
                                  env={"BOTKIT_CONFIG": None, "TOKEN_SHOP": "shop"})

    good = check(f"""[numbers.{SHOP}]
label = "shop"
access_token = {{ env = "TOKEN_SHOP" }}
[numbers.{SHOP}.plugins.auto-reply]
default_reply = "Thanks for writing to the shop"
[numbers.{SUPPORT}]
enabled_plugins = []
""")
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[1:] == [
        f"number {SHOP} (shop): plugins: auto-reply; own token",
        f"number {SUPPORT}: plugins: none; top-level token"]
    bad = check(f"""[numbers.{SHOP}.plugins.auto-reply]
default_reply = 5
""")
    assert bad.exit_code == 2
    assert f"numbers.{SHOP}.plugins.auto-reply.default_reply" in bad.output
    assert "Traceback" not in bad.output


def test_botkit_send_from_a_number_uses_its_token(tmp_path, graph):
    from click.testing import CliRunner

    from botkit.cli.send import send

    config = tmp_path / "botkit.toml"
    config.write_text(f"""[whatsapp]
verify_token = "v"
app_secret = "s"
access_token = "{ACCESS_TOKEN}"
graph_url = "{graph.url}"
[numbers.{SHOP}]
access_token = "{SHOP_TOKEN}"
""")
    env = {"WHATSAPP_ACCESS_TOKEN": None, "BOTKIT_CONFIG": None}
    for number in (SHOP, SUPPORT):
        result = CliRunner().invoke(send, ["--config", str(config), "--to", "15550001111",
                                           "--from", number, "--text", "hi"], env=env)
        assert result.exit_code == 0, result.output
    assert [(r.path.split("/")[2], r.bearer) for r in graph.requests] == [
        (SHOP, SHOP_TOKEN), (SUPPORT, ACCESS_TOKEN)]


async def test_a_process_wide_plugin_enabled_for_one_number_starts_with_its_top_table(tmp_path):
    path = str(tmp_path / "statuses.jsonl")
    settings = make_settings(tmp_path, enabled_plugins=[],
                             plugins={"status-logger": {"path": path}},
                             numbers={SHOP: {"enabled_plugins": ["status-logger"]}})
    async with BotRunner(settings) as runner:
        assert runner.bot.config("status-logger")["path"] == path
        assert runner.bot.configs("status-logger").keys() == {SHOP}


async def test_outside_the_window_each_number_sends_its_own_fallback_template(tmp_path, graph):
    import time

    settings = make_settings(
        tmp_path, enabled_plugins=["echo"], plugins={"echo": {"text": "hello"}},
        whatsapp={"graph_url": graph.url},
        conversations={"fallback_template": "we_are_back", "fallback_language": "en_US"},
        numbers={SHOP: {"access_token": SHOP_TOKEN, "fallback_template": "shop_reopened",
                        "fallback_language": "pt_BR"}})
    two_days_ago = int(time.time()) - 2 * 86400
    async with BotRunner(settings, extra_plugins={"echo": Echo()}) as runner:
        for number in (SHOP, UNLISTED):
            await runner.post(text_message("hi", phone_number_id=number, timestamp=two_days_ago))
        await runner.settle()
    sent = sorted((r.path.split("/")[2], r.bearer, r.json["template"]["name"],
                   r.json["template"]["language"]["code"])
                  for r in graph.requests if r.path.endswith("/messages"))
    assert sent == [(SHOP, SHOP_TOKEN, "shop_reopened", "pt_BR"),
                    (UNLISTED, ACCESS_TOKEN, "we_are_back", "en_US")]


def test_templates_list_refuses_a_number_without_a_table(tmp_path):
    from click.testing import CliRunner

    from botkit.cli.templates import templates

    config = tmp_path / "botkit.toml"
    config.write_text(f"""[whatsapp]
verify_token = "v"
app_secret = "s"
[store]
url = "sqlite:///{tmp_path / 'botkit.db'}"
[numbers.{SHOP}]
waba_id = "{SHOP_WABA}"
""")
    result = CliRunner().invoke(templates, ["list", "--config", str(config), "--number",
                                            UNLISTED], env={"BOTKIT_CONFIG": None})
    assert result.exit_code == 2 and f"no [numbers.{UNLISTED}] table" in result.output
