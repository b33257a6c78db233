"""``botkit events``, ``botkit dead-letters`` and ``botkit quarantine``: look into the store and
repair it. Tables by default, ``--json`` for scripts."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click

from botkit.cli.common import config_option, fail, load_settings, not_found
from botkit.dispatcher.reply_target import REPLY_TARGET
from botkit.errors import StoreError
from botkit.settings import Settings
from botkit.store import open_admin
from botkit.store.admin import EventFilter, StoreAdmin

RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(value: str | None) -> float | None:
    """``30m``/``2h``/``7d`` ago, unix seconds, or an ISO 8601 date and time (UTC if no zone)."""
    if value is None:
        return None
    match = RELATIVE.match(value)
    if match:
        return time.time() - float(match.group(1)) * UNITS[match.group(2)]
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use 30m, 2h, 7d, unix seconds or ISO 8601"
                                 ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as an aligned table (or a note when there are none)."""
    if not rows:
        click.echo("(none)")
        return
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def emit(data: Any, as_json: bool, columns: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        table(data, columns)


@contextmanager
def admin(config_path: str | None) -> Iterator[tuple[StoreAdmin, Settings]]:
    """The configured store's admin interface, and the settings; store problems end the
    command with one clear line and exit status 2."""
    settings: Settings = load_settings(config_path, secrets=False)
    try:
        store = open_admin(settings.store)
    except StoreError as exc:
        fail(exc)
    try:
        yield store, settings
    except StoreError as exc:
        fail(exc)
    finally:
        store.close()


def selection_options(func):
    for option in reversed([
        click.option("--kind", type=click.Choice(["message", "status", "contact", "error",
                                                  "field"])),
        click.option("--state", type=click.Choice(["pending", "done", "dead", "quarantined"])),
        click.option("--plugin", help="Only events with a ledger record for this plugin."),
        click.option("--since", help="Received at or after: 30m, 2h, 7d, unix time, ISO 8601."),
        click.option("--until", help="Received before (same forms)."),
    ]):
        func = option(func)
    return func


def build_filter(keys=(), kind=None, state=None, plugin=None, since=None, until=None,
                 limit=None) -> EventFilter:
    return EventFilter(tuple(keys), kind, state, plugin, parse_time(since), parse_time(until),
                       limit)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def events() -> None:
    """List, show and replay stored events."""


@events.command("list")
@config_option
@selection_options
@click.option("--limit", type=int, default=50, show_default=True)
@json_option
def list_events(config_path, kind, state, plugin, since, until, limit, as_json) -> None:
    """List events, newest first."""
    with admin(config_path) as (store, _):
        rows = store.events(build_filter((), kind, state, plugin, since, until, limit))
    for row in rows:
        row["received"] = when(row["received_at"])
        row["plugins"] = ", ".join(f"{d['plugin']}:{d['state']}" for d in row["deliveries"])
    emit(rows, as_json, ["received", "kind", "state", "attempts", "key", "plugins"])


@events.command("show")
@config_option
@click.argument("key")
@json_option
def show_event(config_path, key, as_json) -> None:
    """Show one event: its payload, its deliveries and any quarantine reason."""
    with admin(config_path) as (store, _):
        event = store.event(key)
    if event is None:
        not_found(f"no event with key {key!r}")
    if as_json:
        click.echo(json.dumps(event, indent=2, default=str))
        return
    for name in ("key", "kind", "state", "attempts", "conversation"):
        click.echo(f"{name:<13} {event[name]}")
    click.echo(f"{'received':<13} {when(event['received_at'])}")
    for delivery in event["deliveries"]:
        click.echo(f"{'delivery':<13} {delivery['plugin']}: {delivery['state']} after "
                   f"{delivery['attempts']} attempt(s) {delivery['error'] or ''}".rstrip())
    for reason in event["quarantine"]:
        click.echo(f"{'quarantine':<13} {reason}")
    click.echo(json.dumps(event["payload"], indent=2, ensure_ascii=False))


@events.command("replay")
@config_option
@click.argument("keys", nargs=-1)
@selection_options
@click.option("--to-plugin", "target", help="Replay to this plugin only.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def replay_events(config_path, keys, kind, state, plugin, since, until, target, yes) -> None:
    """Dispatch events again (by key, or every event the filters select)."""
    if not keys and not any((kind, state, plugin, since, until)):
        raise click.UsageError("name event keys or give at least one filter")
    with admin(config_path) as (store, settings):
        selection = build_filter(keys, kind, state, plugin, since, until)
        count = len(store.events(selection))
        if count and not yes:
            click.confirm(f"Replay {count} event(s)"
                          f"{' to ' + target if target else ''}?", abort=True)
        plugins = [REPLY_TARGET, *settings.enabled_plugins]
        with click.progressbar(length=count, label="replaying", file=sys.stderr) as bar:
            replayed = store.replay(selection, target, plugins)
            bar.update(replayed)
    click.echo(f"{replayed} event(s) queued for dispatch")


@click.group("dead-letters")
def dead_letters() -> None:
    """Events a plugin gave up on: list, retry, purge."""


@dead_letters.command("list")
@config_option
@click.option("--plugin")
@json_option
def list_dead(config_path, plugin, as_json) -> None:
    """List dead letters, oldest first."""
    with admin(config_path) as (store, _):
        rows = store.dead_letters(plugin)
    for row in rows:
        row["failed"] = when(row["failed_at"])
    emit(rows, as_json, ["failed", "plugin", "attempts", "key", "error"])


@dead_letters.command("retry")
@config_option
@click.argument("keys", nargs=-1)
@click.option("--plugin")
def retry_dead(config_path, keys, plugin) -> None:
    """Run the plugins that gave up again (plugins that succeeded are not called again)."""
    with admin(config_path) as (store, _):
        count = store.retry_dead(plugin, tuple(keys))
    click.echo(f"{count} dead letter(s) queued for another try")


@dead_letters.command("purge")
@config_option
@click.argument("keys", nargs=-1)
@click.option("--plugin")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_dead(config_path, keys, plugin, yes) -> None:
    """Forget dead letters for good."""
    with admin(config_path) as (store, _):
        count = len(store.dead_letters(plugin, tuple(keys)))
        if count and not yes:
            click.confirm(f"Purge {count} dead letter(s)?", abort=True)
        purged = store.purge_dead(plugin, tuple(keys))
    click.echo(f"{purged} dead letter(s) purged")


@click.group()
def quarantine() -> None:
    """Authentic items that could not be read or failed their schema: list, show, reprocess."""


@quarantine.command("list")
@config_option
@click.option("--all", "show_all", is_flag=True, help="Include reprocessed items.")
@click.option("--limit", type=int, default=50, show_default=True)
@json_option
def list_quarantine(config_path, show_all, limit, as_json) -> None:
    """List quarantined items."""
    with admin(config_path) as (store, _):
        rows = store.quarantine(None if show_all else "held", limit)
    for row in rows:
        row["received"] = when(row["received_at"])
    emit(rows, as_json, ["id", "received", "kind", "state", "bytes", "reason"])


@quarantine.command("show")
@config_option
@click.argument("item_id")
def show_quarantined(config_path, item_id) -> None:
    """Show one quarantined item with its raw bytes."""
    with admin(config_path) as (store, _):
        item = store.quarantined(item_id)
    if item is None:
        not_found(f"no quarantined item {item_id}")
    for name in ("id", "kind", "key", "state", "reason"):
        click.echo(f"{name:<9} {item[name]}")
    click.echo(item["payload"].decode("utf-8", errors="backslashreplace"))


@quarantine.command("reprocess")
@config_option
@click.argument("ids", nargs=-1)
def reprocess(config_path, ids) -> None:
    """Check held items again (after an upgrade) and dispatch those that now pass."""
    with admin(config_path) as (store, _):
        done, failed = store.reprocess(tuple(ids))
    click.echo(f"{done} item(s) handed to dispatch again; {failed} still unreadable")


def register_event_commands(cli: click.Group) -> None:
    for command in (events, dead_letters, quarantine):
        cli.add_command(command)
