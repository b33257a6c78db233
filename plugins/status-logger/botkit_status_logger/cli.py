"""``botkit status``: one message's status timeline, or a summary of all of them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from botkit.cli import config_option

from .settings import command_settings
from .timeline import current_state, summary, timeline


@click.command("status")
@config_option
@click.argument("wamid", required=False)
@click.option("--summary", "show_summary", is_flag=True,
              help="Counts by status, by error code and by pricing category.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(config_path: str | None, wamid: str | None, show_summary: bool,
           as_json: bool) -> None:
    """Show the status timeline of the sent message WAMID, or a --summary of all messages."""
    if bool(wamid) == show_summary:
        raise click.UsageError("give a message id (wamid) or --summary")
    with read_only(command_settings(config_path).db_path) as conn:
        if show_summary or wamid is None:
            _emit(summary(conn), as_json, summary_text)
            return
        entries = timeline(conn, wamid)
        if not entries:
            raise click.ClickException(f"no status recorded for {wamid}")
        found: dict[str, Any] = {"wamid": wamid, "current": current_state(conn, wamid),
                                 "timeline": entries}
    _emit(found, as_json, timeline_text)


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """The status database opened read-only (the bot may be writing to it)."""
    if not path.is_file():
        raise click.ClickException(f"no status database at {path}; it is created when the bot "
                                   "runs with status-logger enabled")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot open {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    finally:
        conn.close()


def timeline_text(found: dict[str, Any]) -> str:
    current = found["current"]
    lines = [found["wamid"]]
    if current is not None:
        to = current["recipient_id"] or current["recipient_user_id"] or "?"
        lines.append(f"to {to}: {current['status']} since {_when(current['status_timestamp'])}")
    lines.append(f"{'TIME (UTC)':<19}  {'STATUS':<10}  DETAILS")
    for entry in found["timeline"]:
        lines.append(f"{_when(entry['timestamp']):<19}  {entry['status']:<10}  "
                     f"{_details(entry)}".rstrip())
    return "\n".join(lines) + "\n"


def summary_text(data: dict[str, Any]) -> str:
    lines = [f"{data['messages']} message(s), {data['status_updates']} status update(s)"]
    sections = [("by status", data["by_status"]), ("by error code", data["by_error_code"]),
                ("by pricing category", data["by_pricing_category"])]
    if data["other_statuses"]:
        sections.append(("other statuses (timeline only)", data["other_statuses"]))
    for title, counts in sections:
        lines.append(f"{title}:")
        if not counts:
            lines.append("  (none)")
        for key, count in counts.items():
            label = key
            if title == "by error code" and key in data["error_titles"]:
                label = f"{key} {data['error_titles'][key]}"
            lines.append(f"  {count:>6}  {label}")
    return "\n".join(lines) + "\n"


def _details(entry: dict[str, Any]) -> str:
    parts = []
    if entry["error_code"] is not None or entry["errors"]:
        parts.append(f"error {entry['error_code']}: {entry['error_title'] or '-'}")
    pricing = [entry[k] for k in ("pricing_category", "pricing_model", "pricing_type") if entry[k]]
    if pricing:
        parts.append("pricing " + "/".join(pricing))
    if entry["conversation_id"]:
        parts.append(f"conversation {entry['conversation_id']}")
    return "; ".join(parts)


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _emit(data: dict[str, Any], as_json: bool, text: Callable[[dict[str, Any]], str]) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else text(data),
               nl=as_json)

