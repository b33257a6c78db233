"""The [media] settings table: defaults, the folder resolved from the settings file, and the
problems that stop a bot from starting."""

from __future__ import annotations

from pathlib import Path

import pytest

from botkit.errors import SettingsError
from botkit.settings import MediaSettings, Settings
from botkit.testing.harness import make_settings


def test_media_defaults_to_keeping_nothing(tmp_path):
    assert make_settings(tmp_path).media == MediaSettings(keep=False, folder=None,
                                                          max_bytes=100 * 2**20)


def test_a_relative_folder_starts_at_the_settings_file(tmp_path):
    (tmp_path / "botkit.toml").write_text(
        '[whatsapp]\nverify_token = "v"\napp_secret = "s"\naccess_token = "t"\n'
        '[media]\nkeep = true\nfolder = "kept"\nmax_bytes = 5000\n')
    media = Settings.from_file(tmp_path / "botkit.toml", env={}).media
    assert media == MediaSettings(keep=True, folder=tmp_path / "kept", max_bytes=5000)


def test_keeping_needs_an_access_token_and_on_redis_a_folder(tmp_path):
    with pytest.raises(SettingsError) as raised:
        make_settings(tmp_path, whatsapp={"access_token": None},
                      store={"url": "redis://127.0.0.1:6379/0"}, media={"keep": True})
    text = str(raised.value)
    assert "media.keep: keeping media needs whatsapp.access_token" in text
    assert "media.folder: required when media.keep is true" in text
    settings = make_settings(tmp_path, store={"url": "redis://127.0.0.1:6379/0"},
                             media={"keep": True, "folder": str(tmp_path / "m")})
    assert settings.media.folder == Path(tmp_path / "m")


@pytest.mark.parametrize("table", [{"keep": "yes"}, {"max_bytes": 0}, {"folder": ""},
                                   {"unknown": 1}])
def test_bad_values_are_named(tmp_path, table):
    with pytest.raises(SettingsError, match="media"):
        make_settings(tmp_path, media=table)
