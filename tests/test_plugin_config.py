"""``bot.config(name)``: a plugin's table checked against its schema, with the schema's defaults
filled in, its secrets resolved (and kept out of the logs), and read-only."""

from __future__ import annotations

import json
import logging

import pytest

from botkit import PluginConfig, SettingsError, hookimpl
from botkit._logging import SecretMask, configure
from botkit.cli import load_settings
from botkit.testing import APP_SECRET, BotRunner, make_settings
from botkit.testing.payloads import text_message

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "greeting": {"type": "string", "default": "hello"},
        "token": {"type": "string", "secret": True},
        "retry": {
            "type": "object", "additionalProperties": False, "default": {},
            "properties": {
                "attempts": {"type": "integer", "default": 3},
                "backoff": {"type": "object", "default": {},
                            "properties": {"initial": {"type": "number", "default": 0.5}}},
            },
        },
        "routes": {
            "type": "array",
            "items": {
                "type": "object", "additionalProperties": False, "required": ["path"],
                "properties": {
                    "path": {"type": "string"},
                    "methods": {"type": "array", "items": {"type": "string"},
                                "default": ["GET"]},
                    "auth": {"type": "object", "additionalProperties": False,
                             "properties": {"key": {"type": "string", "secret": True}}},
                },
            },
        },
    },
}
SOURCE = '''
from botkit import hookimpl

@hookimpl
def startup(bot):
    bot.log.warning("vault token is %s", bot.config("vault").get("token"))

@hookimpl
def message_received(bot, message):
    for route in bot.config("vault")["routes"]:
        bot.log.warning("route %s uses key %s", route["path"], route["auth"]["key"])
'''
TOKEN = "tok-from-env-4821c9"
ROUTE_KEY = "key-from-file-9135ab"


def config_of(tmp_path, table: dict, enabled: tuple[str, ...] = ("vault",),
              extra: dict | None = None) -> PluginConfig:
    settings = make_settings(tmp_path / "bot", enabled_plugins=list(enabled),
                             plugins={"vault": table})
    return BotRunner(settings, extra_plugins=extra).bot.config("vault")


@pytest.fixture
def vault(installed_plugin):
    """The plugin ``vault``, installed with an entry point and a config.schema.json."""
    installed_plugin("vault", SOURCE, schema=SCHEMA)


@pytest.fixture
def settings_file(tmp_path, monkeypatch, vault):
    """A settings file whose ``vault`` secrets come from the environment and from a file
    next to it; the working folder is elsewhere, so relative means relative to the file."""
    folder = tmp_path / "conf"
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets" / "route-key").write_text(ROUTE_KEY + "\n")
    path = folder / "botkit.toml"
    path.write_text(
        'enabled_plugins = ["vault"]\n'
        f'[whatsapp]\nverify_token = "verify-4417"\napp_secret = "{APP_SECRET}"\n'
        f'[store]\nurl = "sqlite:///{(tmp_path / "data" / "botkit.db").as_posix()}"\n'
        '[plugins.vault]\ntoken = { env = "VAULT_TEST_TOKEN" }\n'
        '[[plugins.vault.routes]]\npath = "/orders"\n'
        'auth = { key = { file = "secrets/route-key" } }\n')
    monkeypatch.setenv("VAULT_TEST_TOKEN", TOKEN)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return path


def test_defaults_are_filled_in_nested_objects_and_arrays_of_objects(tmp_path, vault):
    config = config_of(tmp_path, {"routes": [{"path": "/a"},
                                             {"path": "/b", "methods": ["POST", "PUT"]}],
                                  "retry": {"attempts": 5}})
    assert config["greeting"] == "hello"
    assert config["retry"]["attempts"] == 5  # given values win
    assert config["retry"]["backoff"]["initial"] == 0.5  # a default object, completed too
    assert [route["methods"] for route in config["routes"]] == [("GET",), ("POST", "PUT")]
    assert "token" not in config  # no default, not given
    assert isinstance(config["retry"], PluginConfig)
    assert isinstance(config["routes"][0], PluginConfig)
    empty = config_of(tmp_path / "other", {})
    assert dict(empty["retry"]) == {"attempts": 3, "backoff": {"initial": 0.5}}
    assert sorted(empty) == ["greeting", "retry"]


def test_secrets_come_from_the_environment_and_from_a_file_next_to_the_settings(
        settings_file):
    config = BotRunner(load_settings(str(settings_file))).bot.config("vault")
    assert config["token"] == TOKEN
    assert config["routes"][0]["auth"]["key"] == ROUTE_KEY  # read, stripped
    assert TOKEN not in repr(config) and ROUTE_KEY not in repr(config["routes"][0]["auth"])


def test_a_missing_secret_is_a_settings_error_naming_its_path(settings_file, monkeypatch):
    monkeypatch.delenv("VAULT_TEST_TOKEN")
    (settings_file.parent / "secrets" / "route-key").unlink()
    settings = load_settings(str(settings_file))
    with pytest.raises(SettingsError) as caught:
        BotRunner(settings)
    problems = caught.value.problems
    assert "plugins.vault.token: environment variable VAULT_TEST_TOKEN is not set" in problems
    assert any(p.startswith("plugins.vault.routes[0].auth.key: cannot read secret file ")
               and p.endswith("route-key: No such file or directory") for p in problems)
    assert len(problems) == 2


def test_the_config_is_read_only_all_the_way_down(tmp_path, vault):
    config = config_of(tmp_path, {"routes": [{"path": "/a"}]})
    with pytest.raises(TypeError):
        config["greeting"] = "changed"
    with pytest.raises(TypeError):
        del config["greeting"]
    with pytest.raises(TypeError):
        config["retry"]["attempts"] = 10
    with pytest.raises(TypeError):
        config["routes"][0]["path"] = "/b"
    with pytest.raises(TypeError):
        config["routes"][0]["methods"][0] = "POST"
    assert isinstance(config["routes"], tuple)
    assert config["greeting"] == "hello" and config["retry"]["attempts"] == 3


def test_a_plugin_that_is_not_enabled_is_a_key_error_naming_the_enabled_ones(tmp_path, vault):
    class Other:
        @hookimpl
        def startup(self, bot):
            pass

    settings = make_settings(tmp_path, enabled_plugins=["vault", "other"],
                             plugins={"vault": {}})
    bot = BotRunner(settings, extra_plugins={"other": Other()}).bot
    assert bot.config("other") == {}  # enabled without a table or schema: empty
    with pytest.raises(KeyError) as caught:
        bot.config("crm-sync")
    assert "plugin 'crm-sync' is not enabled; enabled: vault, other" in str(caught.value)


@pytest.fixture
def botkit_logging():
    """Logging as ``botkit serve`` sets it up (:func:`botkit._logging.configure`), undone
    afterwards."""
    root = logging.getLogger()
    level = root.level
    quieted = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "hypercorn.error",
                            "hypercorn.access")}
    httpx_level = logging.getLogger("httpx").level
    yield configure
    for handler in root.handlers[:]:
        if any(isinstance(f, SecretMask) for f in handler.filters):
            root.removeHandler(handler)
    root.setLevel(level)
    for name, (handlers, propagate) in quieted.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate
    logging.getLogger("httpx").setLevel(httpx_level)


async def test_resolved_secrets_never_reach_the_log(settings_file, botkit_logging, capsys):
    settings = load_settings(str(settings_file))
    botkit_logging(settings.logging.level, settings.logging.format, [])  # as `botkit serve`
    async with BotRunner(settings) as bot:
        response = await bot.post(text_message("hello"))
        assert response.status_code == 200
        await bot.settle()
    output = capsys.readouterr().err
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert "vault token is ***" in messages
    assert "route /orders uses key ***" in messages
    assert TOKEN not in output and ROUTE_KEY not in output
