"""``botkit conversation show CUSTOMER``: one customer's timeline in the terminal.

The same timeline the console's conversation page shows (both come from
:func:`botkit.timeline.customer_timeline`): messages and each plugin's delivery of them, what
was sent and Meta's statuses for it, handoffs and timers, oldest first. It only reads the
store, with a connection of its own, so it is safe beside a running bot.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from botkit.cli.common import config_option, fail, load_settings, not_found
from botkit.errors import StoreError
from botkit.timeline import (
    ConversationSummary,
    Entry,
    HandoffChange,
    Inbound,
    Outbound,
    PluginDelivery,
    StatusOnly,
    StatusReport,
    Timeline,
    TimerEntry,
    customer_timeline,
)

INDENT = " " * 40


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _one_line(text: str | None, limit: int = 120) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _conversation_line(c: ConversationSummary) -> str:
    mode = f"human ({c.handoff_by or '?'}" + (
        f", until {_when(c.handoff_until)})" if c.handoff_until else ")") \
        if c.with_human else "bot"
    window = (f"window open until {_when(c.window_closes_at)}" if c.window_open else
              "window closed" + (f" since {_when(c.window_closes_at)}"
                                 if c.window_closes_at else ""))
    return f"  {c.number:<18} {mode:<8} {window}   last activity {_when(c.last_activity)}"


def _deliveries(deliveries: tuple[PluginDelivery, ...]) -> list[str]:
    return [f"{d.plugin}: {d.outcome}" + (f" after {d.attempts} tries" if d.attempts > 1
                                          else "") + (f": {_one_line(d.error)}" if d.error
                                                      else "")
            for d in deliveries]


def _status_line(report: StatusReport) -> str:
    errors = "".join(f" (error {'?' if code is None else code}" + (f" {title}" if title else "")
                     + ")" for code, title in report.errors)
    return f"status {report.status} {_when(report.at)}{errors}"


def _statuses(reports: tuple[StatusReport, ...]) -> list[str]:
    return [_status_line(report) for report in reports]


def entry_lines(entry: Entry) -> tuple[str, str, list[str]]:
    """(what, details, further lines) of one entry."""
    if isinstance(entry, Inbound):
        done = ["every plugin: done"] if entry.all_clean else [] if entry.deliveries else [
            "waiting for dispatch" if entry.state == "pending" else entry.state]
        return ("inbound", f"{entry.type}: {_one_line(entry.text)}" if entry.text is not None
                else entry.type, done + _deliveries(entry.deliveries))
    if isinstance(entry, Outbound):
        result = entry.wamid or entry.result
        outcome = f"{entry.status}: {result}" if result else entry.status
        return ("outbound", f"{entry.plugin}: {_one_line(entry.summary)}",
                [outcome, *_statuses(entry.statuses)])
    if isinstance(entry, StatusOnly):
        return "status", f"message sent elsewhere {entry.wamid}", _statuses(entry.statuses)
    if isinstance(entry, HandoffChange):
        what = {"started": "taken over", "ended": "handed back"}.get(entry.action,
                                                                    entry.action)
        details = what + (f" by {entry.by}" if entry.by else "") + (
            f": {_one_line(entry.reason)}" if entry.reason else "") + (
            f" (until {_when(entry.until)})" if entry.until else "")
        return "handoff", details, []
    assert isinstance(entry, TimerEntry)
    return ("timer", f"{entry.plugin} {entry.name} {entry.state}, due {_when(entry.due_at)}",
            _deliveries(entry.deliveries))


def render(timeline: Timeline) -> list[str]:
    """The timeline as lines of text: the conversations, then one row per entry."""
    lines = [f"{timeline.name or '-'}  {timeline.customer}"]
    lines += [_conversation_line(c) for c in timeline.conversations]
    if timeline.truncated:
        lines.append("(only the newest events are shown)")
    lines.append(f"{'TIME (UTC)':<20} {'NUMBER':<18} {'WHAT':<9} DETAILS")
    for entry in timeline.entries:
        what, details, more = entry_lines(entry)
        number = entry.conversation.partition(":")[0]
        lines.append(f"{_when(entry.at):<20} {number:<18} {what:<9} {details}")
        lines += [f"{INDENT}{line}" for line in more]
    return lines


@click.group("conversation")
def conversation() -> None:
    """Look into a customer's conversations."""


@conversation.command("show")
@config_option
@click.argument("customer")
@click.option("--number", help="Only the conversation with this business phone_number_id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(config_path: str | None, customer: str, number: str | None, as_json: bool) -> None:
    """CUSTOMER's timeline (a wa_id or user id): messages, deliveries, replies and their
    statuses, handoffs and timers."""
    settings = load_settings(config_path, secrets=False)
    try:
        timeline = customer_timeline(settings.store.url, customer, number=number)
    except StoreError as exc:
        fail(exc)
    if timeline is None:
        not_found(f"no conversation with {customer} is known"
                  + (f" on number {number}" if number else ""))
    if as_json:
        click.echo(json.dumps(timeline.as_json(), indent=2, ensure_ascii=False))
        return
    for line in render(timeline):
        click.echo(line)


def register_timeline_commands(cli: click.Group) -> None:
    """Add ``conversation`` to the ``botkit`` command group."""
    cli.add_command(conversation)
