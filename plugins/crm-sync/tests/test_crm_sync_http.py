"""The http backend against a real CRM endpoint on a loopback port."""

from __future__ import annotations

import json
import logging
import socket
from importlib import resources
from pathlib import Path

import pytest
from botkit_crm_sync import CrmClient, CrmSyncSettings
from botkit_crm_sync.crm_http import CrmUnavailable

from botkit import PermanentError, SettingsError, hookimpl
from botkit.cli import load_settings
from botkit.testing import BotRunner, make_settings

SECRET = "Bearer crm-secret-7f3a9c"


def secret_file(tmp_path: Path) -> dict:
    """The credential as a settings secret: ``{ file = "..." }``."""
    path = tmp_path / "crm-token"
    path.write_text(SECRET + "\n")
    return {"file": str(path)}


def http_table(fake_crm, tmp_path, **extra) -> dict:
    return {"backend": "http", "url": fake_crm.url, "path": str(tmp_path / "contacts.db"),
            "auth_header": "X-Api-Key", "auth": secret_file(tmp_path), "backoff": 0, **extra}


def prepared(tmp_path: Path, table: dict):
    """The table as crm-sync receives it from ``bot.config()`` (the bot is built, not run)."""
    settings = make_settings(tmp_path / "prepared", enabled_plugins=["crm-sync"],
                             plugins={"crm-sync": table})
    return BotRunner(settings).bot.config("crm-sync")


class DeadLetters:
    def __init__(self) -> None:
        self.dead: list[tuple[str, str, str]] = []

    @hookimpl
    def delivery_failed(self, event, plugin, error) -> None:
        self.dead.append((event.key, plugin, str(error)))


@pytest.mark.parametrize(("attempts", "max_attempts"), [
    (3, 1),  # the plugin's own retries get through
    (1, 3),  # each failure goes back to botkit, which runs crm-sync again
])
async def test_a_crm_failing_twice_ends_with_one_upsert(start_crm_sync, fake_crm, payloads,
                                                        tmp_path, caplog, attempts,
                                                        max_attempts):
    fake_crm.script = ["unavailable", "lost"]  # the second one is stored, its answer lost
    bot = await start_crm_sync(http_table(fake_crm, tmp_path, attempts=attempts),
                               dispatch={"max_attempts": max_attempts})
    message = payloads.text("hello", 1)
    del message["entry"][0]["changes"][0]["value"]["contacts"]  # no profile upsert first
    with caplog.at_level(logging.DEBUG):
        await bot.post(message)
        await bot.settle()
    assert len(fake_crm.requests) == 3
    assert {r["headers"]["Idempotency-Key"] for r in fake_crm.requests} == {
        "message:wamid.TEST0001"}
    assert {r["headers"]["X-Api-Key"] for r in fake_crm.requests} == {SECRET}
    [stored] = fake_crm.upserts.values()
    assert stored["customer_id"] == "15557654321" and stored["message_count"] == 1
    assert stored["last_message_text"] == "hello"
    assert SECRET not in caplog.text and "crm-secret" not in caplog.text


async def test_every_change_is_upserted_with_its_event_key(start_crm_sync, fake_crm, payloads,
                                                          tmp_path):
    fake_crm.script = ["busy"]
    bot = await start_crm_sync(http_table(fake_crm, tmp_path))
    await bot.post(payloads.text("hello", 1))
    await bot.settle()
    await bot.post(payloads.load("field_user_preferences.json"))
    await bot.settle()
    keys = list(fake_crm.upserts)
    # The profile seen on the webhook, the message, then the opt-out.
    assert keys[0].startswith("contact:") and keys[1] == "message:wamid.TEST0001"
    assert keys[2].startswith("user_preferences:")
    assert fake_crm.upserts[keys[2]]["customer_id"] == "233555012345"
    assert fake_crm.upserts[keys[2]]["opted_out"] is True
    assert [fake_crm.upserts[k]["revision"] for k in keys] == [1, 2, 1]
    assert len(fake_crm.requests) == 4  # one 429 answer, then three upserts


async def test_a_crm_refusal_is_permanent(start_crm_sync, fake_crm, payloads, tmp_path,
                                          caplog):
    fake_crm.script = ["reject"]
    failures = DeadLetters()
    bot = await start_crm_sync(
        {**http_table(fake_crm, tmp_path), "auth_header": "Authorization"},
        enabled_plugins=["crm-sync", "dead"], extra_plugins={"dead": failures},
        dispatch={"max_attempts": 3})
    message = payloads.text("hello", 1)
    del message["entry"][0]["changes"][0]["value"]["contacts"]  # no profile event first
    with caplog.at_level(logging.DEBUG):
        await bot.post(message)
        await bot.settle()
    assert len(fake_crm.requests) == 1 and fake_crm.upserts == {}
    [(key, plugin, error)] = failures.dead
    assert (key, plugin) == ("message:wamid.TEST0001", "crm-sync")
    assert "HTTP 422" in error and "customer_id must be an email address" in error
    assert SECRET not in caplog.text and SECRET not in error


def test_the_bot_refuses_to_start_without_the_credential(tmp_path):
    table = {"backend": "http", "url": "http://127.0.0.1:9/crm",
             "auth": {"env": "CRM_TEST_KEY"}, "path": str(tmp_path / "contacts.db")}
    with pytest.raises(SettingsError) as caught:
        prepared(tmp_path, table)  # make_settings reads no environment: the variable is unset
    assert caught.value.problems == [
        "plugins.crm-sync.auth: environment variable CRM_TEST_KEY is not set"]


def test_settings_defaults_and_checks(tmp_path):
    schema = json.loads(resources.files("botkit_crm_sync").joinpath("config.schema.json")
                        .read_text("utf-8"))
    assert schema["additionalProperties"] is False and schema["properties"]["auth"]["secret"]
    settings = CrmSyncSettings.from_config(prepared(tmp_path, {}))
    for name, prop in schema["properties"].items():
        assert prop["description"], name
        if "default" in prop:
            value = getattr(settings, name)
            assert (str(value) if isinstance(value, Path) else value) == prop["default"], name
    assert settings.auth is None and settings.url is None
    with pytest.raises(SettingsError) as caught:
        prepared(tmp_path, {"backend": "http", "timeout": 0, "colour": "blue"})
    problems = "\n".join(caught.value.problems)
    assert "'url' is a required property" in problems
    assert "plugins.crm-sync.timeout" in problems and "'colour' was unexpected" in problems
    with_secret = CrmSyncSettings.from_config(prepared(tmp_path, {
        "backend": "http", "url": "https://crm.example/api", "auth": secret_file(tmp_path)}))
    assert with_secret.auth == SECRET and SECRET not in repr(with_secret)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_unreachable_crm_is_retried_then_left_to_botkit():
    crm = CrmClient(f"http://user:pw@127.0.0.1:{free_port()}/crm", attempts=2, backoff=0,
                    auth_value=SECRET)
    try:
        with pytest.raises(CrmUnavailable) as caught:
            await crm.upsert({"customer_id": "1"}, "k1")
    finally:
        await crm.aclose()
    assert "unreachable" in str(caught.value) and not isinstance(caught.value, PermanentError)
    assert "pw" not in str(caught.value) and SECRET not in str(caught.value)


def test_the_readme_examples_are_valid(tmp_path, monkeypatch):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [block.split("```")[0] for block in readme.split("```toml\n")[1:]
              if "[plugins.crm-sync]" in block]
    monkeypatch.setenv("CRM_AUTH", SECRET)
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "token")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "app-secret")
    loaded = []
    for n, block in enumerate(blocks):
        path = tmp_path / f"botkit{n}.toml"
        path.write_text('enabled_plugins = ["crm-sync"]\n[whatsapp]\n'
                        'verify_token = { env = "WHATSAPP_VERIFY_TOKEN" }\n'
                        'app_secret = { env = "WHATSAPP_APP_SECRET" }\n' + block)
        bot = BotRunner(load_settings(str(path))).bot
        loaded.append(CrmSyncSettings.from_config(bot.config("crm-sync")))
    assert [(s.backend, s.auth) for s in loaded] == [("sqlite", None), ("http", SECRET)]
