"""``botkit contacts``: the contact book as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click

from botkit.cli import config_option

from .book import all_records
from .records import FIELDS, ContactRecord
from .settings import command_settings

TABLE_COLUMNS = [
    ("CUSTOMER", "customer_id"), ("WA_ID", "wa_id"), ("NAME", "name"),
    ("MESSAGES", "message_count"), ("LAST SEEN (UTC)", "last_seen"), ("OPTED OUT", "opted_out"),
    ("LAST MESSAGE", "last_message_text"),
]
MAX_CELL = 40


@click.command("contacts")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of records.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of the terminal.")
def contacts(config_path: str | None, as_json: bool, as_csv: bool, output: Path | None) -> None:
    """List the customers crm-sync keeps, most recently seen first."""
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    records = read_contacts(command_settings(config_path).path)
    if as_json:
        text = json.dumps([r.as_dict() for r in records], indent=2, ensure_ascii=False) + "\n"
    elif as_csv:
        text = to_csv(records)
    else:
        text = to_table(records)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"{len(records)} contact(s) written to {output}", err=True)


def read_contacts(path: Path) -> list[ContactRecord]:
    """Every record of the book at ``path``, opened read-only (the bot may be running)."""
    if not path.is_file():
        raise click.ClickException(f"no contact book at {path}; it is created when the bot "
                                   "runs with crm-sync enabled")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            return all_records(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot read the contact book {path}: {exc}") from None


def to_table(records: list[ContactRecord]) -> str:
    if not records:
        return "no contacts yet\n"
    rows = [[heading for heading, _ in TABLE_COLUMNS]]
    rows += [[_cell(getattr(r, name), name) for _, name in TABLE_COLUMNS] for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                   .rstrip() + "\n" for row in rows)


def to_csv(records: list[ContactRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for record in records:
        data = record.as_dict()
        data["previous_wa_ids"] = " ".join(record.previous_wa_ids)
        writer.writerow(["" if data[f] is None else data[f] for f in FIELDS])
    return out.getvalue()


def _cell(value: object, name: str) -> str:
    if value is None:
        return "-"
    if name == "last_seen" and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"

