"""The http backend against a real CRM endpoint on a loopback port."""

from __future__ import annotations

import logging
import socket
import tomllib
from pathlib import Path

import pytest
from botkit_crm_sync import CrmClient, load_settings
from botkit_crm_sync.crm_http import CrmUnavailable
from botkit_crm_sync.settings import config_schema

from botkit import PermanentError, SettingsError, hookimpl
from botkit.testing import BotRunner, make_settings

SECRET = "Bearer crm-secret-7f3a9c"


def http_table(fake_crm, tmp_path, **extra) -> dict:
    return {"backend": "http", "url": fake_crm.url, "path": str(tmp_path / "contacts.db"),
            "auth_header": "X-Api-Key", "auth_env": "CRM_TEST_KEY", "backoff": 0, **extra}


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
                                                        tmp_path, monkeypatch, caplog,
                                                        attempts, max_attempts):
    monkeypatch.setenv("CRM_TEST_KEY", SECRET)
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
                                                          tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_TEST_KEY", SECRET)
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
                                          monkeypatch, caplog):
    monkeypatch.setenv("CRM_TEST_KEY", SECRET)
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


async def test_the_server_refuses_to_start_without_the_credential(tmp_path, monkeypatch,
                                                                  caplog):
    monkeypatch.delenv("CRM_TEST_KEY", raising=False)
    table = {"backend": "http", "url": "http://127.0.0.1:9/crm", "auth_env": "CRM_TEST_KEY",
             "path": str(tmp_path / "contacts.db")}
    runner = BotRunner(make_settings(tmp_path, enabled_plugins=["crm-sync"],
                                     plugins={"crm-sync": table}))
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError):
        await runner.__aenter__()
    assert "plugins.crm-sync.auth_env: environment variable CRM_TEST_KEY is not set" in (
        caplog.text)


def test_settings_defaults_and_checks():
    settings = load_settings({})
    schema = config_schema()
    for name, prop in schema["properties"].items():
        assert prop["description"], name
        if "default" in prop:
            value = getattr(settings, name)
            assert (str(value) if isinstance(value, Path) else value) == prop["default"], name
    with pytest.raises(SettingsError) as caught:
        load_settings({"backend": "http", "timeout": 0, "colour": "blue"})
    problems = "\n".join(caught.value.problems)
    assert "'url' is a required property" in problems
    assert "plugins.crm-sync.timeout" in problems and "'colour' was unexpected" in problems
    secret = load_settings({"backend": "http", "url": "https://crm.example/api",
                            "auth_env": "K"}, env={"K": SECRET})
    assert secret.auth_value == SECRET and SECRET not in repr(secret)


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


def test_the_readme_examples_are_valid():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [block.split("```")[0] for block in readme.split("```toml\n")[1:]
              if "[plugins.crm-sync]" in block]
    loaded = [load_settings(tomllib.loads(block)["plugins"]["crm-sync"], env={"CRM_AUTH": "x"})
              for block in blocks]
    assert [s.backend for s in loaded] == ["sqlite", "http"]
