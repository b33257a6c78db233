"""Options and the one error path shared by every ``botkit`` command (and plugins' commands).

Exit codes, the same for every command:

- ``0``: done.
- ``1`` (:data:`EXIT_FAILED`): the command ran and the answer is "no": a check found problems,
  a requested item does not exist, a remote call was refused.
- ``2`` (:data:`EXIT_UNUSABLE`): the command could not run: bad settings, an unreachable
  store, a wrong argument.

Every failure is one ``error: ...`` line on stderr (several lines only for a list of settings
problems), never a traceback. Library code raises; only the command line turns errors into
exits.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from botkit.errors import BotkitError, SettingsError
from botkit.plugin_config import PluginConfig
from botkit.settings import CONFIG_ENV, Settings

EXIT_FAILED = 1
EXIT_UNUSABLE = 2

#: Options of the commands that call Meta's management APIs (flows, templates).
access_token_option = click.option(
    "--access-token", envvar="WHATSAPP_ACCESS_TOKEN",
    help="Business or system-user token. Default: [whatsapp] access_token of the settings.")
waba_id_option = click.option(
    "--waba-id", envvar="WHATSAPP_WABA_ID",
    help="The WhatsApp Business Account id. Default: [whatsapp] waba_id of the settings.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
number_option = click.option(
    "--number", "number", metavar="PHONE_NUMBER_ID",
    help="A business number with a [numbers.<id>] table: its waba_id and access_token are the "
         "defaults instead of the [whatsapp] ones.")

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


def fail(problem: BotkitError | str, code: int = EXIT_UNUSABLE) -> NoReturn:
    """End the command: one ``error:`` line (the problem's text) and the exit ``code``."""
    click.echo(f"error: {problem}", err=True)
    sys.exit(code)


def not_found(what: str) -> NoReturn:
    """End a command whose subject does not exist (exit 1)."""
    fail(what, EXIT_FAILED)


def log_secrets(settings: Settings) -> list[str]:
    """Every secret of the core's settings, for the log masking (plugins add their own)."""
    wa = settings.whatsapp
    flows = [settings.flows.passphrase or ""] if settings.flows else []
    numbers = [table.access_token or "" for table in settings.numbers.values()]
    return [wa.verify_token, *wa.app_secrets, wa.access_token or "", *flows, *numbers]


def plugin_config(settings: Settings, name: str) -> PluginConfig:
    """``[plugins.<name>]`` as ``bot.config(name)`` gives it, for a plugin's command run without
    the bot (with ``load_settings(..., secrets=False)`` its secrets may stay empty)."""
    from botkit.plugins import load_plugins

    try:
        plugins = load_plugins(settings)
    except BotkitError as exc:
        fail(exc)
    if name not in plugins.configs:
        fail(SettingsError([f"enabled_plugins: plugin {name!r} is not enabled "
                            f"(enabled: {', '.join(plugins.names) or 'none'})"]))
    return plugins.configs[name]


def known_number(settings: Settings, number: str | None) -> str | None:
    """``--number`` when the settings have a table for it (a usage error else)."""
    if number is not None and number not in settings.numbers:
        raise click.UsageError(f"--number {number}: the settings have no [numbers.{number}] "
                               f"table (numbers: {', '.join(settings.numbers) or 'none'})")
    return number


def access_token(settings: Settings, given: str | None, number: str | None = None) -> str:
    """``--access-token``, else the token of ``--number``, else the settings' token; exit 2
    when there is none."""
    token = given or settings.access_token_for(known_number(settings, number))
    if not token:
        fail("no access token: set [whatsapp] access_token or give --access-token")
    return token


def waba_id(settings: Settings, given: str | None, number: str | None = None) -> str:
    """``--waba-id``, else the account of ``--number``, else the settings' WhatsApp Business
    Account id (a usage error else)."""
    waba = given or settings.waba_for(known_number(settings, number))
    if not waba:
        raise click.UsageError("give --waba-id, or set [whatsapp] waba_id in the settings")
    return waba


def print_json(data: Any) -> None:
    """A listing as indented JSON (``--json``)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
