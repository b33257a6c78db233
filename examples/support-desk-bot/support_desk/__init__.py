"""handoff: hands a customer's conversation to people, and keeps the bot out of it meanwhile.

A customer who writes a trigger word ("agent", "human", ...) is handed off: the agents get the
message on their own WhatsApp, every later customer message is forwarded to them, and the bot
only reacts with the seen emoji (a reply, so the plugins after this one stay quiet). Agents
answer with ``#<number> <text>`` and close with ``#done <number>``; the bot relays both.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botkit import Message, PermanentError, Reply, hookimpl

from . import agents
from .desk import Desk, Handoff

if TYPE_CHECKING:
    import click

    from botkit import Bot

PLUGIN = "handoff"
WORD = re.compile(r"\w+")
TEXT_LIMIT = 4096


@dataclass(frozen=True)
class Support:
    """The plugin's settings and its desk, kept on ``bot.state`` while the bot runs."""

    agents: frozenset[str]
    triggers: frozenset[str]
    handoff_reply: str
    closing_reply: str
    seen_emoji: str
    desk: Desk

    @classmethod
    def from_config(cls, config: Mapping[str, Any], desk: Desk) -> Support:
        """From ``bot.config("handoff")``: checked against the schema, defaults filled in."""
        return cls(
            agents=frozenset(config["agents"]),
            triggers=frozenset(trigger.lower() for trigger in config["triggers"]),
            handoff_reply=str(config["handoff_reply"]),
            closing_reply=str(config["closing_reply"]),
            seen_emoji=str(config["seen_emoji"]),
            desk=desk,
        )

    def asks_for_person(self, message: Message) -> bool:
        words = set(WORD.findall((message.text or "").lower()))
        return message.type == "text" and bool(words & self.triggers)


@hookimpl
async def startup(bot: Bot) -> None:
    config = bot.config(PLUGIN)
    desk = await asyncio.to_thread(Desk(Path(config["path"])).open)
    bot.state[PLUGIN] = Support.from_config(config, desk)


@hookimpl
async def shutdown(bot: Bot) -> None:
    support: Support | None = bot.state.pop(PLUGIN, None)
    if support is not None:
        await asyncio.to_thread(support.desk.close)


@hookimpl
async def reply_for_message(bot: Bot, message: Message) -> Reply | None:
    """Decided from the desk as it was before this message: the same answer on every retry."""
    support: Support = bot.state[PLUGIN]
    customer = message.sender
    if customer is None or message.type == "system":
        return None
    if customer in support.agents:
        return await _answer_agent(support, message)
    handoff = await asyncio.to_thread(support.desk.find, customer)
    if handoff is not None and handoff.is_open:
        if handoff.opened_by == message.id:
            return support.handoff_reply
        return {"type": "reaction",
                "reaction": {"message_id": message.id, "emoji": support.seen_emoji}}
    return support.handoff_reply if support.asks_for_person(message) else None


@hookimpl
async def message_received(bot: Bot, message: Message) -> None:
    """Open hand-offs, bring customers' messages to the agents, carry out agents' commands."""
    support: Support = bot.state[PLUGIN]
    customer = message.sender
    if customer is None or message.type == "system":
        return
    if customer in support.agents:
        await _carry_out(bot, support, message)
        return
    handoff = await asyncio.to_thread(support.desk.find, customer)
    if handoff is None or not handoff.is_open:
        if not support.asks_for_person(message):
            return
        name = message.contact.name if message.contact else None
        handoff = await asyncio.to_thread(support.desk.hand_off, customer, name, message.id)
    text = (agents.handoff_notice if handoff.opened_by == message.id else agents.forwarded)(
        handoff.name, customer, message)
    for agent in sorted(support.agents):
        await _send_once(bot, support.desk, message, agent, text)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import handoffs

    cli.add_command(handoffs)


async def _answer_agent(support: Support, message: Message) -> str:
    command = agents.parse(message.text)
    if command.action == "list":
        open_now = await asyncio.to_thread(support.desk.open_handoffs)
        return "\n".join(agents.who(h.name, h.customer) for h in open_now) or \
            "No open conversations."
    if command.action == "help":
        return agents.HELP
    assert command.customer is not None
    handoff = await asyncio.to_thread(support.desk.find, command.customer)
    if not _still_ours(handoff, message):
        return f"No open conversation with +{command.customer}.\n{agents.HELP}"
    assert handoff is not None
    if command.action == "done":
        return f"Closed the conversation with {agents.who(handoff.name, handoff.customer)}."
    return f"Sent to {agents.who(handoff.name, handoff.customer)}."


def _still_ours(handoff: Handoff | None, message: Message) -> bool:
    """Open, or closed by this very message (a retry after the close went through)."""
    return handoff is not None and (handoff.is_open or handoff.closed_by == message.id)


async def _carry_out(bot: Bot, support: Support, message: Message) -> None:
    command = agents.parse(message.text)
    if command.action not in ("relay", "done"):
        return
    assert command.customer is not None
    handoff = await asyncio.to_thread(support.desk.find, command.customer)
    if not _still_ours(handoff, message):
        return
    if command.action == "relay":
        await _send_once(bot, support.desk, message, command.customer, command.text or "")
        return
    await asyncio.to_thread(support.desk.close_handoff, command.customer, message.id)
    await _send_once(bot, support.desk, message, command.customer, support.closing_reply)


async def _send_once(bot: Bot, desk: Desk, message: Message, to: str, text: str) -> None:
    """Send ``text`` to ``to`` for ``message`` unless an earlier attempt already did."""
    if await asyncio.to_thread(desk.relayed, message.id, to):
        return
    if bot.whatsapp is None:
        raise PermanentError("handoff needs whatsapp.access_token to reach agents and customers")
    if message.phone_number_id is None:
        raise PermanentError(f"message {message.id} names no business number to answer from")
    await bot.whatsapp.send_text(message.phone_number_id, to, text[:TEXT_LIMIT])
    await asyncio.to_thread(desk.note_relayed, message.id, to)
