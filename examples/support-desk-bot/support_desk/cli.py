"""``botkit handoffs``: the conversations people are handling now."""

from __future__ import annotations

import json
from pathlib import Path

import click

from botkit.cli import config_option, load_settings

from .desk import Desk


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def handoffs(config_path: str | None, as_json: bool) -> None:
    """List the conversations handed to people and not closed yet."""
    from . import DEFAULTS, PLUGIN

    path = Path(load_settings(config_path).plugin_config(PLUGIN).get("path", DEFAULTS["path"]))
    if not path.exists():
        rows = []
    else:
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
