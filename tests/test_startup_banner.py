"""The ready banner: the webhook URL, where the verify token comes from (never its value), the
store without its password, the plugins and the next step; a block at a terminal, one log
record anywhere else."""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from botkit.runtime.banner import (
    announce_ready,
    ready_facts,
    secret_origin,
    store_location,
    webhook_url,
)
from botkit.settings import ServerSettings, Settings

TOKEN = "verify-token-value-never-shown"
ENV = {"WHATSAPP_VERIFY_TOKEN": TOKEN, "WHATSAPP_APP_SECRET": "app-secret-never-shown",
       "STORE_URL": "redis://botkit:redis-password-never-shown@10.0.0.5:6380/2"}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def settings_file(tmp_path: Path, whatsapp: str, store: str = "") -> Settings:
    path = tmp_path / "botkit.toml"
    path.write_text(f'enabled_plugins = []\n\n[whatsapp]\napp_secret = {{ env = '
                    f'"WHATSAPP_APP_SECRET" }}\n{whatsapp}\n{store}')
    return Settings.from_file(path, env=ENV)


def test_a_terminal_gets_a_block_without_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    settings = settings_file(tmp_path, 'verify_token = { env = "WHATSAPP_VERIFY_TOKEN" }',
                             '[store]\nurl = { env = "STORE_URL" }\n')
    terminal = Terminal()
    announce_ready(settings, ["auto-reply", "crm-sync"], stream=terminal)
    shown = terminal.getvalue()
    for line in ("webhook       http://127.0.0.1:8000/webhook",
                 "verify token  from $WHATSAPP_VERIFY_TOKEN",
                 "store         redis 10.0.0.5:6380/2",
                 "plugins       auto-reply, crm-sync",
                 "next          botkit send-test --text hello"):
        assert line in shown.replace("\033[2m", "").replace("\033[0m", "")
    assert "botkit is ready" in shown and "\033[1m" in shown
    for secret in ENV.values():
        assert secret not in shown
    assert "redis-password-never-shown" not in shown and "botkit@" not in shown


def test_elsewhere_one_log_record_with_the_facts(tmp_path, caplog):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "verify-token").write_text(TOKEN)
    settings = settings_file(tmp_path, 'verify_token = { file = "secrets/verify-token" }')
    with caplog.at_level(logging.INFO, logger="botkit"):
        announce_ready(settings, [], stream=io.StringIO())
    [ready] = [r for r in caplog.records if r.getMessage() == "botkit ready"]
    assert ready.webhook == "http://127.0.0.1:8000/webhook"
    assert ready.verify_token == "from file secrets/verify-token"
    assert ready.store == "sqlite botkit-data/botkit.db"
    assert ready.plugins == "none enabled"
    assert TOKEN not in caplog.text


def test_where_the_verify_token_comes_from(tmp_path):
    literal = settings_file(tmp_path, f'verify_token = "{TOKEN}"')
    assert secret_origin(literal, "verify_token") == f"written in {tmp_path / 'botkit.toml'}"
    embedded = Settings.default(env=ENV)
    assert secret_origin(embedded, "verify_token") == "$WHATSAPP_VERIFY_TOKEN"
    in_code = Settings.from_dict({"whatsapp": {"verify_token": "v", "app_secret": "s"}}, env={})
    assert secret_origin(in_code, "verify_token") == "given in code"


@pytest.mark.parametrize(("url", "shown"), [
    ("sqlite:///botkit-data/botkit.db", "sqlite botkit-data/botkit.db"),
    ("sqlite:////var/lib/botkit/botkit.db", "sqlite /var/lib/botkit/botkit.db"),
    ("redis://127.0.0.1:6379/0", "redis 127.0.0.1:6379/0"),
    ("rediss://user:pw@cache.example.com/1?password=x", "rediss cache.example.com/1"),
    ("redis://[::1]:6379/0", "redis [::1]:6379/0"),
])
def test_store_locations_lose_credentials(url, shown):
    assert store_location(url) == shown


@pytest.mark.parametrize(("server", "url"), [
    (ServerSettings(host="0.0.0.0", port=8080), "http://127.0.0.1:8080/webhook"),
    (ServerSettings(host="::", port=8443, path="/wa", certfile="c.pem"), "https://[::1]:8443/wa"),
    (ServerSettings(host="bot.internal", port=80), "http://bot.internal:80/webhook"),
])
def test_the_webhook_url_is_where_this_machine_reaches_it(server, url):
    assert webhook_url(server) == url


def test_a_local_graph_api_and_missing_token_are_pointed_out(tmp_path):
    settings = settings_file(tmp_path, 'verify_token = "v"\ngraph_url = "http://127.0.0.1:5555"')
    facts = ready_facts(settings, ["auto-reply"])
    assert facts["graph api"] == "http://127.0.0.1:5555"
    assert facts["replies"] == "off: no [whatsapp] access_token"
    with_token = replace(settings, whatsapp=replace(settings.whatsapp, access_token="t",
                                                    graph_url="https://graph.facebook.com/"))
    facts = ready_facts(with_token, [])
    assert "graph api" not in facts and "replies" not in facts
