"""``botkit handoff list|take|resume`` and ``botkit timers list|cancel``: steer conversations.

They work beside a running bot, on the same store: a handoff silences the bot for that
customer at once (every send checks the store), and ``handoff_started``/``handoff_ended`` reach
the plugins in order with the conversation's other events.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from botkit.cli.common import EXIT_FAILED, config_option, fail, load_settings
from botkit.conversations.backends import open_conversations_admin
from botkit.conversations.handoff import apply_handoff
from botkit.conversations.records import ModeChange
from botkit.conversations.store import ConversationStore
from botkit.errors import StoreError
from botkit.settings import Settings

T = TypeVar("T")


def _with_store(config_path: str | None,
                work: Callable[[ConversationStore, Settings], Awaitable[T]]) -> T:
    settings = load_settings(config_path, secrets=False)

    async def main() -> T:
        store, close = await open_conversations_admin(settings.store)
        try:
            return await work(store, settings)
        finally:
            await close()

    try:
        return asyncio.run(main())
    except StoreError as exc:
        fail(exc)


async def _conversation(store: ConversationStore, customer: str, number: str | None) -> str:
    """The conversation key for a customer: with ``--number`` as given, else the only one."""
    if number:
        return f"{number}:{customer}"
    keys = await store.customer_conversations(customer)
    if not keys:
        fail(f"no conversation with {customer} is known; give --number PHONE_NUMBER_ID",
             EXIT_FAILED)
    if len(keys) > 1:
        fail(f"{customer} talks to several numbers ({', '.join(k.partition(':')[0] for k in keys)}"
             "); choose one with --number", EXIT_FAILED)
    return keys[0]


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


@click.group()
def handoff() -> None:
    """Hand conversations to people and back to the bot."""


@handoff.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def handoff_list(config_path: str | None, as_json: bool) -> None:
    """Conversations a person has now."""
    async def work(store: ConversationStore, _: Settings) -> list[dict[str, Any]]:
        return [{"conversation": i.key, "until": i.handoff_until, "by": i.handoff_by,
                 "reason": i.handoff_reason} for i in await store.handoffs(time.time())]

    rows = _with_store(config_path, work)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no conversation is with a person")
    for row in rows:
        click.echo(f"{row['conversation']:<32} until {_when(row['until']):<19}  by "
                   f"{row['by'] or '-'}  {row['reason'] or ''}".rstrip())


@handoff.command("take")
@config_option
@click.argument("customer")
@click.option("--number", help="The business phone_number_id (when the customer wrote to several).")
@click.option("--ttl", type=float, help="Seconds until it goes back to the bot "
                                         "(default: [conversations] handoff_ttl_seconds).")
@click.option("--reason", help="Shown to plugins and in the console.")
@click.option("--by", "operator", default="operator", show_default=True)
def handoff_take(config_path: str | None, customer: str, number: str | None,
                 ttl: float | None, reason: str | None, operator: str) -> None:
    """Give CUSTOMER's conversation (a wa_id) to a person: the bot stays silent."""
    async def work(store: ConversationStore, settings: Settings) -> str:
        key = await _conversation(store, customer, number)
        now = time.time()
        seconds = settings.conversations.handoff_ttl_seconds if ttl is None else ttl
        await apply_handoff(store, f"cli:{uuid.uuid4().hex}", key,
                            ModeChange("human", None if seconds is None else now + seconds,
                                       operator, reason), now)
        return key

    click.echo(f"{_with_store(config_path, work)} is with a person now")


@handoff.command("resume")
@config_option
@click.argument("customer")
@click.option("--number", help="The business phone_number_id (when the customer wrote to several).")
def handoff_resume(config_path: str | None, customer: str, number: str | None) -> None:
    """Give CUSTOMER's conversation back to the bot."""
    async def work(store: ConversationStore, _: Settings) -> tuple[str, bool]:
        key = await _conversation(store, customer, number)
        info = await store.info(key)
        if info.mode != "human":
            return key, False
        now = time.time()
        await apply_handoff(store, f"cli:{uuid.uuid4().hex}", key,
                            ModeChange("bot", by="operator"), now)
        return key, True

    key, changed = _with_store(config_path, work)
    click.echo(f"{key} is back with the bot" if changed else f"{key} was with the bot already")


@click.group()
def timers() -> None:
    """Conversation timers plugins scheduled."""


@timers.command("list")
@config_option
@click.option("--customer", help="Only this customer's conversations (a wa_id).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def timers_list(config_path: str | None, customer: str | None, as_json: bool) -> None:
    """Pending timers, soonest first."""
    async def work(store: ConversationStore, _: Settings) -> list[dict[str, Any]]:
        specs = await store.timers()
        return [{"id": t.id, "conversation": t.conversation, "plugin": t.plugin,
                 "name": t.name, "due_at": t.due_at} for t in specs
                if customer is None or t.conversation.endswith(f":{customer}")]

    rows = _with_store(config_path, work)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no pending timer")
    for row in rows:
        click.echo(f"{row['id']}  {_when(row['due_at'])}  {row['plugin']:<16} "
                   f"{row['name']:<20} {row['conversation']}")


@timers.command("cancel")
@config_option
@click.argument("timer_id")
def timers_cancel(config_path: str | None, timer_id: str) -> None:
    """Cancel a pending timer by its id (from `botkit timers list`)."""
    async def work(store: ConversationStore, _: Settings) -> bool:
        return await store.cancel_timer(timer_id, time.time())

    if not _with_store(config_path, work):
        fail(f"no pending timer {timer_id}", EXIT_FAILED)
    click.echo(f"timer {timer_id} cancelled")


def register_conversation_commands(cli: click.Group) -> None:
    """Add ``handoff`` and ``timers`` to the ``botkit`` command group."""
    cli.add_command(handoff)
    cli.add_command(timers)
