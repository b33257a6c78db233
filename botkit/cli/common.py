"""Options and helpers shared by every ``botkit`` command (and plugins' commands)."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from botkit.errors import BotkitError, SettingsError
from botkit.settings import CONFIG_ENV, Settings

config_option = click.option(
    "--config", "config_path", envvar=CONFIG_ENV, type=click.Path(dir_okay=False),
    help=f"Settings file (TOML). Default: ${CONFIG_ENV}, else the embedded default settings.",
)


def load_settings(config_path: str | None, *, secrets: bool = True) -> Settings:
    """The settings, or exit 2 with every problem listed (``secrets=False``: see
    :meth:`Settings.load`)."""
    try:
        return Settings.load(config_path, secrets=secrets)
    except SettingsError as exc:
        fail(exc)


def fail(exc: BotkitError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)
