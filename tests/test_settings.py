"""Settings: the file, the environment, the embedded default, and every problem reported."""

from __future__ import annotations

import pytest

from botkit import SettingsError
from botkit.settings import Settings

ENV = {"WHATSAPP_VERIFY_TOKEN": "vt", "WHATSAPP_APP_SECRET": "s3cret"}


def test_embedded_default_reads_secrets_from_the_environment():
    settings = Settings.load(None, env=ENV)
    assert settings.source == "<embedded default>"
    assert settings.whatsapp.app_secrets == ("s3cret",)
    assert settings.whatsapp.access_token is None  # optional: no replies without it
    assert settings.store.url == "sqlite:///botkit-data/botkit.db"
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8000)


def test_missing_secrets_are_named_together():
    with pytest.raises(SettingsError) as error:
        Settings.load(None, env={})
    assert error.value.problems == [
        "whatsapp.app_secret: environment variable WHATSAPP_APP_SECRET is not set",
        "whatsapp.verify_token: environment variable WHATSAPP_VERIFY_TOKEN is not set",
    ]


def test_file_from_botkit_config_with_file_secrets(tmp_path):
    (tmp_path / "secret.txt").write_text("from-a-file\n")
    path = tmp_path / "botkit.toml"
    path.write_text("""
enabled_plugins = []
[whatsapp]
verify_token = "literal"
app_secrets = [{ file = "secret.txt" }, { env = "OLD" }]
[server]
bind = "[::1]:9000"
""")
    settings = Settings.load(None, env={"BOTKIT_CONFIG": str(path), "OLD": "old-secret"})
    assert settings.whatsapp.app_secrets == ("from-a-file", "old-secret")
    assert (settings.server.host, settings.server.port) == ("::1", 9000)


def test_every_problem_is_reported_with_its_path(tmp_path):
    path = tmp_path / "botkit.toml"
    path.write_text("""
enabled_plugins = "auto-reply"
colour = 1
[whatsapp]
verify_token = { vault = "x" }
[store]
url = "mysql://x"
dedupe_days = 2
[dispatch]
concurrency = 0
""")
    with pytest.raises(SettingsError) as error:
        Settings.from_file(path, env={})
    problems = "\n".join(error.value.problems)
    for expected in ("(top level): unknown key(s) ('colour' was unexpected)",
                     "enabled_plugins: 'auto-reply' is not of type 'array'",
                     "whatsapp: needs one of: app_secret, app_secrets",
                     "whatsapp.verify_token: expected a string, {env = \"NAME\"} or "
                     "{file = \"path\"}",
                     "store.url: 'mysql://x' does not match",
                     "store.dedupe_days: 2 is less than the minimum of 8",
                     "dispatch.concurrency: 0 is less than the minimum of 1"):
        assert expected in problems


def test_unreadable_files_are_clear_errors(tmp_path):
    with pytest.raises(SettingsError, match="no such settings file"):
        Settings.from_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[whatsapp\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        Settings.from_file(bad)


def test_secrets_are_not_in_the_repr():
    settings = Settings.load(None, env=ENV)
    assert "s3cret" not in repr(settings) and "vt'" not in repr(settings)


def test_read_only_commands_can_load_settings_without_secrets():
    settings = Settings.load(None, env={}, secrets=False)
    assert settings.whatsapp.app_secrets == ()
    assert settings.store.url == "sqlite:///botkit-data/botkit.db"


def test_a_store_url_with_a_password_can_come_from_the_environment(tmp_path):
    path = tmp_path / "botkit.toml"
    path.write_text('[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
                    '[store]\nurl = { env = "BOTKIT_STORE_URL" }\n')
    url = "redis://:hunter2@127.0.0.1:6379/0"
    settings = Settings.from_file(path, env={"BOTKIT_STORE_URL": url})
    assert settings.store.url == url
    assert "hunter2" not in repr(settings)
    with pytest.raises(SettingsError, match="BOTKIT_STORE_URL is not set"):
        Settings.from_file(path, env={})
    with pytest.raises(SettingsError, match="must start with sqlite://"):
        Settings.from_file(path, env={"BOTKIT_STORE_URL": "mysql://x"})
