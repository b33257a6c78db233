"""The desk's two routers, built when the bot starts: their filters need the agents' numbers
and the trigger words from the settings.

- ``answers`` decides what the customer or the agent is told. It is asked from
  ``reply_for_message``, where the first plugin in ``enabled_plugins`` with an answer wins: while
  a person has the chat, its answer (the seen reaction) keeps auto-reply's canned answers out.
  It decides from the desk as it was before this message, so a retry gets the same answer.
- ``actions`` does the work, from ``message_received``: opens hand-offs, forwards customers'
  messages to the agents, relays the agents' answers and closes hand-offs.

Handlers receive the desk's ``support`` (its settings and desk) from the dispatch call.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from botkit import Message, PermanentError, Reply, Router, SkipHandler
from botkit import filters as f

from . import agents
from .desk import Desk, Handoff

if TYPE_CHECKING:
    from botkit import Bot

    from . import Support

TEXT_LIMIT = 4096


def asks_for_person(triggers: frozenset[str]) -> f.Filter:
    """A text with one of the trigger words in it, as a whole word, in any case."""
    words = "|".join(re.escape(word) for word in sorted(triggers))
    return f.text.regex(rf"(?<!\w)(?:{words})(?!\w)", ignore_case=True)


def from_an_agent(numbers: frozenset[str]) -> f.Filter:
    """What an agent writes (their system messages, such as a changed number, are not
    commands)."""
    return f.sender(*numbers) & ~f.message_type("system")


def build_answers(agent_numbers: frozenset[str], triggers: frozenset[str]) -> Router:
    answers = Router("handoff answers")
    agent = from_an_agent(agent_numbers)

    @answers.message(agent & f.text.regex(agents.LIST))
    async def listing(message: Message, support: Support) -> Reply:
        open_now = await asyncio.to_thread(support.desk.open_handoffs)
        return "\n".join(agents.who(h.name, h.customer) for h in open_now) or \
            "No open conversations."

    @answers.message(agent & f.text.regex(agents.RELAY))
    async def sent(message: Message, match: re.Match[str], support: Support) -> Reply:
        return await _confirm(support, message, match["customer"], "Sent to")

    @answers.message(agent & f.text.regex(agents.DONE))
    async def closed(message: Message, match: re.Match[str], support: Support) -> Reply:
        return await _confirm(support, message, match["customer"],
                              "Closed the conversation with")

    @answers.message(agent)
    def agent_help(message: Message) -> Reply:
        return agents.HELP

    @answers.message(~f.message_type("system"))
    async def while_with_a_person(message: Message, support: Support) -> Reply:
        handoff = await support.open_handoff(message)
        if handoff is None:
            raise SkipHandler  # not handed off: the next handler (or plugin) answers
        if handoff.opened_by == message.id:
            return support.handoff_reply
        return {"type": "reaction",
                "reaction": {"message_id": message.id, "emoji": support.seen_emoji}}

    @answers.message(asks_for_person(triggers))
    def handing_off(message: Message, support: Support) -> Reply:
        return support.handoff_reply

    return answers


def build_actions(agent_numbers: frozenset[str], triggers: frozenset[str]) -> Router:
    actions = Router("handoff actions")
    agent = from_an_agent(agent_numbers)

    @actions.message(agent & f.text.regex(agents.RELAY))
    async def relay(message: Message, match: re.Match[str], bot: Bot,
                    support: Support) -> None:
        handoff = await asyncio.to_thread(support.desk.find, match["customer"])
        if handoff is not None and still_ours(handoff, message):
            await send_once(bot, support.desk, message, handoff.customer,
                            match["text"].strip())

    @actions.message(agent & f.text.regex(agents.DONE))
    async def close(message: Message, match: re.Match[str], bot: Bot, support: Support) -> None:
        customer = match["customer"]
        handoff = await asyncio.to_thread(support.desk.find, customer)
        if handoff is None or not still_ours(handoff, message):
            return
        await asyncio.to_thread(support.desk.close_handoff, customer, message.id)
        await send_once(bot, support.desk, message, customer, support.closing_reply)

    @actions.message(agent)
    def other_agent_messages(message: Message) -> None:
        """``#list`` and the rest: answered, nothing to do. An agent is never a customer."""

    @actions.message(~f.message_type("system"))
    async def forward(message: Message, bot: Bot, support: Support) -> None:
        handoff = await support.open_handoff(message)
        if handoff is None:
            raise SkipHandler
        text = (agents.handoff_notice if handoff.opened_by == message.id else agents.forwarded)(
            handoff.name, handoff.customer, message)
        await tell_agents(bot, support, message, text)

    @actions.message(asks_for_person(triggers))
    async def hand_off(message: Message, bot: Bot, support: Support) -> None:
        if message.sender is None:
            return  # a customer known only by a user id cannot be answered by number
        name = message.contact.name if message.contact else None
        handoff = await asyncio.to_thread(support.desk.hand_off, message.sender, name,
                                          message.id)
        await tell_agents(bot, support, message,
                          agents.handoff_notice(handoff.name, handoff.customer, message))

    return actions


async def _confirm(support: Support, message: Message, customer: str, done: str) -> str:
    handoff = await asyncio.to_thread(support.desk.find, customer)
    if handoff is None or not still_ours(handoff, message):
        return f"No open conversation with +{customer}.\n{agents.HELP}"
    return f"{done} {agents.who(handoff.name, handoff.customer)}."


def still_ours(handoff: Handoff, message: Message) -> bool:
    """Open, or closed by this very message (a retry after the close went through)."""
    return handoff.is_open or handoff.closed_by == message.id


async def tell_agents(bot: Bot, support: Support, message: Message, text: str) -> None:
    for agent in sorted(support.agents):
        await send_once(bot, support.desk, message, agent, text)


async def send_once(bot: Bot, desk: Desk, message: Message, to: str, text: str) -> None:
    """Send ``text`` to ``to`` for ``message`` unless an earlier attempt already did (the desk
    remembers each relay: these messages go to other people than the sender, so they are sent
    with the Cloud API client rather than as the handler's reply)."""
    if await asyncio.to_thread(desk.relayed, message.id, to):
        return
    if bot.whatsapp is None:
        raise PermanentError("handoff needs whatsapp.access_token to reach agents and customers")
    if message.phone_number_id is None:
        raise PermanentError(f"message {message.id} names no business number to answer from")
    await bot.whatsapp.send_text(message.phone_number_id, to, text[:TEXT_LIMIT])
    await asyncio.to_thread(desk.note_relayed, message.id, to)
