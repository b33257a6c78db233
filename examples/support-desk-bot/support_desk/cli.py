"""``botkit handoffs``: the conversations people are handling now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from botkit.cli import config_option, load_settings, plugin_config

from .desk import Desk

if TYPE_CHECKING:
    pass


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def handoffs(config_path: str | None, as_json: bool) -> None:
    """List the conversations handed to people and not closed yet."""
    path = desk_path(config_path)
    rows = []
    if path.exists():
        desk = Desk(path).open()
        try:
            rows = [{"customer": h.customer, "name": h.name, "opened_at": h.opened_at}
                    for h in desk.open_handoffs()]
        finally:
            desk.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("no open hand-offs")
    for row in rows if not as_json else ():
        click.echo(f"+{row['customer']:<16} {row['name'] or ''}")


def desk_path(config_path: str | None) -> Path:
    """``[plugins.handoff] path`` as botkit prepares it for ``bot.config()`` (the schema's
    default when it is not set), without running the bot."""
    from . import PLUGIN

    return Path(plugin_config(load_settings(config_path, secrets=False), PLUGIN)["path"])
