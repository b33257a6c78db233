"""`botkit subscribe` and `botkit subscriptions` against the fake Graph API, which verifies the
callback URL on a running bot the way Meta does before it records the subscription."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from botkit.cli.main import cli
from botkit.testing import APP_SECRET, VERIFY_TOKEN, BotRunner, FakeGraphAPI, make_settings

APP_ID, APP_TOKEN = "1234567890", "1234567890|app-secret-token"
WABA_ID, BUSINESS_TOKEN = "102290129340398", "business-system-user-token"
NO_ENV = {"META_APP_ID": None, "META_APP_TOKEN": None, "WHATSAPP_WABA_ID": None,
          "WHATSAPP_ACCESS_TOKEN": None, "BOTKIT_CONFIG": None}


@pytest.fixture
async def graph():
    async with FakeGraphAPI(access_token=BUSINESS_TOKEN) as fake:
        fake.add_app(APP_ID, APP_TOKEN)
        fake.add_waba(WABA_ID)
        yield fake


@pytest.fixture
async def bot(tmp_path):
    async with BotRunner(make_settings(tmp_path / "bot")) as runner:
        yield runner


def settings_file(folder: Path, graph: FakeGraphAPI, *, verify_token: str = VERIFY_TOKEN,
                  access_token: str | None = BUSINESS_TOKEN) -> Path:
    path = folder / "botkit.toml"
    token = f'access_token = "{access_token}"\n' if access_token else ""
    path.write_text(f'[whatsapp]\nverify_token = "{verify_token}"\napp_secret = "{APP_SECRET}"\n'
                    f'{token}graph_url = "{graph.url}"\napi_version = "v23.0"\n')
    return path


async def botkit(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the command line in a thread: the bot it talks to lives on this event loop."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args),
                                   env={**NO_ENV, **(env or {})})


def assert_no_secret(result: Result) -> None:
    for secret in (APP_TOKEN, BUSINESS_TOKEN, VERIFY_TOKEN, APP_SECRET):
        assert secret not in result.output


async def test_subscribe_registers_both_edges_after_meta_verifies_the_bot(tmp_path, graph, bot):
    config = settings_file(tmp_path, graph)
    result = await botkit("subscribe", "--config", str(config), "--callback-url", bot.url,
                          "--fields", "messages, message_template_status_update",
                          env={"META_APP_ID": APP_ID, "META_APP_TOKEN": APP_TOKEN,
                               "WHATSAPP_WABA_ID": WABA_ID})
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "warning: Meta only calls HTTPS callback URLs",
        f"app {APP_ID}: subscribed to messages, message_template_status_update at {bot.url} "
        "(Meta verified the callback)",
        f"WhatsApp Business Account {WABA_ID}: app subscribed to its webhooks",
    ]
    [subscription] = graph.subscriptions(APP_ID)
    assert subscription["object"] == "whatsapp_business_account"
    assert subscription["callback_url"] == bot.url
    assert [f["name"] for f in subscription["fields"]] == [
        "messages", "message_template_status_update"]
    assert graph.subscribed_apps(WABA_ID) == [{"whatsapp_business_api_data": {"id": APP_ID}}]
    calls = [(r.method, r.path, r.bearer) for r in graph.requests]
    assert calls == [("POST", f"/v23.0/{APP_ID}/subscriptions", APP_TOKEN),
                     ("POST", f"/v23.0/{WABA_ID}/subscribed_apps", BUSINESS_TOKEN)]
    assert graph.requests[0].form["verify_token"] == VERIFY_TOKEN
    assert_no_secret(result)

    listed = await botkit("subscriptions", "--config", str(config), "--app-id", APP_ID,
                          "--app-token", APP_TOKEN, "--waba-id", WABA_ID)
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        f"app {APP_ID}: 1 subscription(s)",
        f"  whatsapp_business_account (active) -> {bot.url}; fields: messages, "
        "message_template_status_update",
        f"WhatsApp Business Account {WABA_ID}: 1 subscribed app(s)",
        f"  app {APP_ID}",
    ]


async def test_a_wrong_app_token_names_the_option_to_check(tmp_path, graph, bot):
    result = await botkit("subscribe", "--config", str(settings_file(tmp_path, graph)),
                          "--app-id", APP_ID, "--app-token", "1234567890|wrong",
                          "--waba-id", WABA_ID, "--callback-url", bot.url)
    assert result.exit_code == 1
    error = result.output.splitlines()[-1]
    assert error.startswith(f"error: app {APP_ID}: the token from --app-token / META_APP_TOKEN "
                            "was refused (invalid, expired or revoked); check --app-token")
    assert "Graph API error 190" in error
    assert "1234567890|wrong" not in result.output
    assert graph.subscriptions(APP_ID) == [] and graph.subscribed_apps(WABA_ID) == []


async def test_unknown_ids_are_named(tmp_path, graph, bot):
    config = str(settings_file(tmp_path, graph))
    unknown_app = await botkit("subscribe", "--config", config, "--app-id", "999",
                               "--app-token", APP_TOKEN, "--waba-id", WABA_ID,
                               "--callback-url", bot.url)
    assert unknown_app.exit_code == 1
    assert ("error: app 999 was not found, or the token from --app-token / META_APP_TOKEN "
            "cannot see it; check --app-id / META_APP_ID and that token") in unknown_app.output
    unknown_waba = await botkit("subscribe", "--config", config, "--app-id", APP_ID,
                                "--app-token", APP_TOKEN, "--waba-id", "777",
                                "--callback-url", bot.url)
    assert unknown_waba.exit_code == 1
    assert ("error: WhatsApp Business Account 777 was not found, or the token from [whatsapp] "
            f"access_token of {config} cannot see it; check --waba-id / WHATSAPP_WABA_ID"
            ) in unknown_waba.output
    assert_no_secret(unknown_app)
    assert_no_secret(unknown_waba)


async def test_a_wrong_business_token_is_blamed_on_its_source(tmp_path, graph, bot):
    result = await botkit("subscriptions", "--config", str(settings_file(tmp_path, graph)),
                          "--waba-id", WABA_ID, "--access-token", "stale-token")
    assert result.exit_code == 1
    assert result.output.startswith(
        f"error: WhatsApp Business Account {WABA_ID}: the token from --access-token / "
        "WHATSAPP_ACCESS_TOKEN was refused")
    assert "stale-token" not in result.output


async def test_meta_cannot_verify_a_bot_with_another_verify_token(tmp_path, graph, bot):
    config = settings_file(tmp_path, graph, verify_token="not-the-bots-token")
    result = await botkit("subscribe", "--config", str(config), "--app-id", APP_ID,
                          "--app-token", APP_TOKEN, "--waba-id", WABA_ID,
                          "--callback-url", bot.url)
    assert result.exit_code == 1
    assert (f"error: app {APP_ID}: Meta could not verify the callback URL {bot.url}: it must "
            "be reachable from the internet over HTTPS") in result.output
    assert "HTTP Status Code = 403" in result.output  # the bot refused the wrong token
    assert "not-the-bots-token" not in result.output
    assert graph.subscriptions(APP_ID) == []


async def test_missing_options_and_token_are_usage_errors(tmp_path, graph):
    config = str(settings_file(tmp_path, graph, access_token=None))
    missing = await botkit("subscribe", "--config", config, "--app-id", APP_ID,
                           "--callback-url", "https://bot.example.com/webhook")
    assert missing.exit_code == 2
    assert "missing --app-token / META_APP_TOKEN, --waba-id / WHATSAPP_WABA_ID" in missing.output
    no_token = await botkit("subscribe", "--config", config, "--app-id", APP_ID,
                            "--app-token", APP_TOKEN, "--waba-id", WABA_ID,
                            "--callback-url", "https://bot.example.com/webhook")
    assert no_token.exit_code == 2
    assert "need a system-user or business token: pass --access-token" in no_token.output
    nothing = await botkit("subscriptions", "--config", config)
    assert nothing.exit_code == 2 and "give --app-id" in nothing.output
    assert graph.requests == []
