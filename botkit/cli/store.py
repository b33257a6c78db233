"""``botkit store stats``: what the configured store holds, the oldest record of each kind, and
the room it takes (file size on SQLite, keys and memory on Redis). Works beside running
servers; ``--json`` for scripts and monitoring."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from botkit.cli.common import config_option, fail, load_settings
from botkit.errors import StoreError


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _size(count: Any) -> str:
    if not isinstance(count, int):
        return "-"
    if count < 1024:
        return f"{count} B"
    size = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"


@click.group("store")
def store_group() -> None:
    """Look at the configured store as a whole."""


@store_group.command("stats")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def store_stats_command(config_path: str | None, as_json: bool) -> None:
    """Counts and the oldest record of each kind, and the space the store takes."""
    from botkit.store.stats import store_stats

    settings = load_settings(config_path, secrets=False)
    try:
        stats = store_stats(settings.store)
    except StoreError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    click.echo(f"store: {stats['store']}")
    rows = [(row["kind"], str(row["count"]), _when(row["oldest"]),
             _size(row["bytes"]) if "bytes" in row else "") for row in stats["kinds"]]
    header = ("KIND", "COUNT", "OLDEST (UTC)", "SIZE")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    for line in (header, *rows):
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
    space = stats["space"]
    if "file_bytes" in space:
        click.echo(f"file: {_size(space['file_bytes'])} (+ {_size(space['wal_bytes'])} "
                   f"write-ahead log); {space['free_pages']} of {space['pages']} pages free; "
                   f"auto_vacuum {space['auto_vacuum']}")
    else:
        limit = space["maxmemory_bytes"]
        click.echo(f"memory: {_size(space['used_memory_bytes'])} used of "
                   f"{_size(limit) if limit else 'no limit'}; maxmemory-policy "
                   f"{space['maxmemory_policy'] or '?'}")


def register_store_command(cli: click.Group) -> None:
    """Add ``store`` to the ``botkit`` command group."""
    cli.add_command(store_group)
