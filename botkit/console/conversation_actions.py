"""The buttons of a customer's timeline: Take over, Hand back, and sending a reply.

Take over and Hand back are handoffs like ``botkit handoff take|resume``: one commit of the
conversation's mode, its ``handoff`` event (the plugins' ``handoff_started``/``handoff_ended``)
and, with a TTL, the timer that ends it. A reply goes through the outbox (see ``operator``).
Each action names the conversation by its business number; a customer or number the store does
not know is a 404, and every action is logged with the operator's name, never with the text.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote

from quart import Blueprint, Response, g, request

from botkit.console._render import when
from botkit.console._web import ConsoleWeb
from botkit.console.conversations import unknown_customer, valid_id
from botkit.console.operator import ReplyRefused, operator_name, reply_body, send_operator_reply
from botkit.conversations.handoff import apply_handoff
from botkit.conversations.records import ModeChange

log = logging.getLogger("botkit.console")

MAX_REASON_CHARS = 200


def register_conversation_actions(bp: Blueprint, web: ConsoleWeb) -> None:
    """Add the POST endpoints behind the timeline's forms to the blueprint."""

    async def fields(*names: str) -> tuple[str, ...]:
        form = await request.form
        return tuple((form.get(name) or "").strip() for name in names)

    async def conversation_of(customer: str, number: str) -> str | None:
        """The conversation key, when the store knows that customer with that number (or
        with exactly one number, when none is named)."""
        if not valid_id(customer) or (number and not valid_id(number)):
            return None
        now = web.bot.clock()
        timeline = await web.with_timelines(
            lambda reader: reader.timeline(customer, number=number or None, now=now))
        if timeline is None or (not number and len(timeline.conversations) != 1):
            return None
        return timeline.conversations[0].key

    def back(customer: str, note: str, kind: str = "ok") -> Response:
        return web.redirect(f"{web.base}/conversations/{quote(customer, safe='')}",
                            (kind, note))

    @bp.post("/conversations/<customer>/take")
    async def take_over(customer: str) -> Response:
        number, reason = await fields("number", "reason")
        conversation = await conversation_of(customer, number)
        if conversation is None:
            return unknown_customer(web)
        if len(reason) > MAX_REASON_CHARS:
            return back(customer, f"A reason is at most {MAX_REASON_CHARS} characters.",
                        "error")
        bot, operator, now = web.bot, operator_name(g.console_session), web.bot.clock()
        info = await bot.conversations.info(conversation)
        if info.with_human(now):
            return back(customer, f"{info.handoff_by or 'A person'} has this conversation "
                        "already.", "error")
        ttl = bot.settings.conversations.handoff_ttl_seconds
        until = None if ttl is None else now + ttl
        await apply_handoff(bot.conversations, f"console:{uuid.uuid4().hex}", conversation,
                            ModeChange("human", until, operator, reason or None), now)
        bot.humans = bot.humans | {conversation}
        bot.wake_dispatch()
        log.info("console: %s taken over by %s", conversation, operator)
        return back(customer, "You have this conversation now: the bot stays silent until "
                    "you hand it back" + ("." if until is None else
                                           f" or until {when(until)} UTC."))

    @bp.post("/conversations/<customer>/hand-back")
    async def hand_back(customer: str) -> Response:
        (number,) = await fields("number")
        conversation = await conversation_of(customer, number)
        if conversation is None:
            return unknown_customer(web)
        bot, operator, now = web.bot, operator_name(g.console_session), web.bot.clock()
        info = await bot.conversations.info(conversation)
        if not info.with_human(now):
            return back(customer, "The bot has this conversation already.", "error")
        await apply_handoff(bot.conversations, f"console:{uuid.uuid4().hex}", conversation,
                            ModeChange("bot", by=operator), now)
        bot.humans = bot.humans - {conversation}
        bot.wake_dispatch()
        log.info("console: %s handed back to the bot by %s", conversation, operator)
        return back(customer, "The bot has this conversation again.")

    @bp.post("/conversations/<customer>/reply")
    async def reply(customer: str) -> Response:
        number, text, template, language, send_id = await fields(
            "number", "text", "template", "language", "send_id")
        conversation = await conversation_of(customer, number)
        if conversation is None:
            return unknown_customer(web)
        try:
            body = reply_body(text, template, language)
            item = await send_operator_reply(web.bot, conversation,
                                             operator_name(g.console_session), body, send_id)
        except ReplyRefused as refused:
            return back(customer, str(refused), "error")
        return back(customer, f"Reply sent ({item.result}).")
