"""handoff: hands a customer's conversation to people, and keeps the bot out of it meanwhile.

A customer who writes a trigger word ("agent", "human", ...) is handed off: the agents get the
message on their own WhatsApp, every later customer message is forwarded to them, and the bot
only reacts with the seen emoji (a reply, so the plugins after this one stay quiet). Agents
answer with ``#<number> <text>`` and close with ``#done <number>``; the bot relays both.

The work is done by two routers (:mod:`.routes`), built at start-up from the settings: one
chooses the replies (``reply_for_message``), one carries out the hand-offs
(``message_received``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botkit import Message, Reply, Router, hookimpl

from .desk import Desk, Handoff
from .routes import build_actions, build_answers

if TYPE_CHECKING:
    import click

    from botkit import Bot

PLUGIN = "handoff"


@dataclass(frozen=True)
class Support:
    """The plugin's settings, its desk and its routers, kept on ``bot.state`` while the bot
    runs."""

    agents: frozenset[str]
    handoff_reply: str
    closing_reply: str
    seen_emoji: str
    desk: Desk
    answers: Router
    actions: Router

    @classmethod
    def from_config(cls, config: Mapping[str, Any], desk: Desk) -> Support:
        """From ``bot.config("handoff")``: checked against the schema, defaults filled in."""
        agents = frozenset(config["agents"])
        triggers = frozenset(trigger.lower() for trigger in config["triggers"])
        return cls(
            agents=agents,
            handoff_reply=str(config["handoff_reply"]),
            closing_reply=str(config["closing_reply"]),
            seen_emoji=str(config["seen_emoji"]),
            desk=desk,
            answers=build_answers(agents, triggers),
            actions=build_actions(agents, triggers),
        )

    async def open_handoff(self, message: Message) -> Handoff | None:
        """The open hand-off of the message's sender, if there is one."""
        if message.sender is None:
            return None
        handoff = await asyncio.to_thread(self.desk.find, message.sender)
        return handoff if handoff is not None and handoff.is_open else None


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
    """What the customer or agent is told (see :func:`.routes.build_answers`)."""
    support: Support = bot.state[PLUGIN]
    reply: Reply | None = await support.answers.dispatch(message, bot=bot, support=support)
    return None if reply is Router.CONTINUE else reply


@hookimpl
async def message_received(bot: Bot, message: Message) -> None:
    """Open hand-offs, bring customers' messages to the agents, carry out agents' commands."""
    support: Support = bot.state[PLUGIN]
    await support.actions.dispatch(message, bot=bot, support=support)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import handoffs

    cli.add_command(handoffs)
