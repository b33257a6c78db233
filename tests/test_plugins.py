"""Plugins: discovery by entry point, enabling in order, settings checked against their schema."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from botkit import SettingsError, hookimpl
from botkit.cli.main import cli
from botkit.hooks import call_all
from botkit.plugins import load_plugins
from botkit.testing import make_settings

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "additionalProperties": False, "required": ["greeting"],
    "properties": {"greeting": {"type": "string"}, "times": {"type": "integer", "minimum": 1}},
}
SOURCE = '''
from botkit import hookimpl

@hookimpl
def reply_for_message(bot, message):
    return bot.config("greeter")["greeting"]
'''


def test_installed_plugin_is_found_and_configured(installed_plugin, tmp_path):
    installed_plugin("greeter", SOURCE, schema=SCHEMA)
    settings = make_settings(tmp_path, enabled_plugins=["greeter"],
                             plugins={"greeter": {"greeting": "hi"}})
    plugins = load_plugins(settings)
    assert plugins.names == ("greeter",)
    assert plugins.implementing("reply_for_message") == ["greeter"]
    assert plugins.configs["greeter"] == {"greeting": "hi"}


def test_all_plugin_problems_are_reported_together(installed_plugin, tmp_path):
    installed_plugin("greeter", SOURCE, schema=SCHEMA)
    installed_plugin("broken", "import nothing_here_at_all\n")
    settings = make_settings(
        tmp_path, enabled_plugins=["greeter", "broken", "absent"],
        plugins={"greeter": {"times": 0, "extra": True}, "stray": {}})
    with pytest.raises(SettingsError) as error:
        load_plugins(settings)
    problems = error.value.problems
    installed = problems[4].partition("(installed: ")[2].rstrip(")").split(", ")
    assert {"broken", "greeter"} <= set(installed)
    problems[4] = problems[4].partition(" (installed")[0]
    assert problems == [
        "plugins.greeter.times: 0 is less than the minimum of 1",
        "plugins.greeter: 'greeting' is a required property",
        "plugins.greeter: unknown key(s) ('extra' was unexpected)",
        "enabled_plugins: plugin 'broken' failed to import: ModuleNotFoundError: "
        "No module named 'nothing_here_at_all'",
        "enabled_plugins: plugin 'absent' is not installed",
        "plugins.stray: settings given for a plugin that is not in enabled_plugins",
    ]


def test_unknown_hooks_and_wrong_arguments_are_refused(tmp_path):
    class Typo:
        @hookimpl
        def mesage_received(self, message):
            pass

    class WrongArgs:
        @hookimpl
        def message_received(self, msg):
            pass

    for plugin in (Typo(), WrongArgs()):
        settings = make_settings(tmp_path, enabled_plugins=["p"])
        with pytest.raises(SettingsError, match=r"plugins\.p: cannot register"):
            load_plugins(settings, {"p": plugin})


async def test_plugins_are_called_in_enabled_order_sync_and_async(tmp_path):
    calls = []

    class Sync:
        @hookimpl
        def startup(self, bot):
            calls.append("sync")

    class Async:
        @hookimpl
        async def startup(self, bot):
            calls.append("async")

    for order in (["a", "s"], ["s", "a"]):
        calls.clear()
        plugins = load_plugins(make_settings(tmp_path, enabled_plugins=order),
                               {"s": Sync(), "a": Async()})
        await call_all(plugins, "startup", isolate=False, bot=None)
        assert calls == ["async" if name == "a" else "sync" for name in order]


async def test_a_failing_plugin_does_not_stop_the_others(tmp_path, caplog):
    seen = []

    class Bad:
        @hookimpl
        def shutdown(self, bot):
            raise OSError("disk gone")

    class Good:
        @hookimpl
        def shutdown(self, bot):
            seen.append("good")

    plugins = load_plugins(make_settings(tmp_path, enabled_plugins=["bad", "good"]),
                           {"bad": Bad(), "good": Good()})
    await call_all(plugins, "shutdown", isolate=True, bot=None)
    assert seen == ["good"]
    assert "plugin bad failed in shutdown: OSError: disk gone" in caplog.text


def test_cli_plugins_lists_installed_plugins(installed_plugin, tmp_path, monkeypatch):
    installed_plugin("greeter", SOURCE, schema=SCHEMA, version="2.5")
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "v")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "s")
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    import json

    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["greeter"]["version"] == "2.5"
    assert rows["greeter"]["hooks"] == ["reply_for_message"]
    assert rows["greeter"]["enabled"] is False


def test_cli_check_reports_problems_and_exit_code(installed_plugin, tmp_path):
    installed_plugin("greeter", SOURCE, schema=SCHEMA)
    path = tmp_path / "botkit.toml"
    path.write_text('enabled_plugins = ["greeter"]\n[whatsapp]\nverify_token = "v"\n'
                    'app_secret = "s"\n[plugins.greeter]\ngreeting = 5\n')
    result = CliRunner().invoke(cli, ["check", "--config", str(path)])
    assert result.exit_code == 2
    assert "plugins.greeter.greeting: 5 is not of type 'string'" in result.output
    path.write_text(path.read_text().replace("greeting = 5", 'greeting = "hi"'))
    result = CliRunner().invoke(cli, ["check", "--config", str(path)])
    assert result.exit_code == 0 and "plugins: greeter" in result.output
