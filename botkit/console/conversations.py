"""The console's conversation pages: the searchable list of conversations and one customer's
timeline, with the Take over, Hand back and reply forms (their actions are in
``conversation_actions``).

Both pages read the store through :mod:`botkit.timeline`, the reader ``botkit conversation
show`` uses, so the page and the command line always agree.
"""

from __future__ import annotations

import uuid
from typing import Any

from quart import Blueprint, Response, request

from botkit.console._web import ConsoleWeb
from botkit.timeline import ConversationSummary, Timeline

LISTED = 100
MAX_QUERY_CHARS = 100


def valid_id(value: str) -> bool:
    """A customer id or business number as a page may name it."""
    return 0 < len(value) <= MAX_QUERY_CHARS and value.isprintable() and ":" not in value


def register_conversation_pages(bp: Blueprint, web: ConsoleWeb) -> None:
    """Add the conversation list and the timeline page to the blueprint."""

    @bp.get("/conversations")
    async def conversations() -> Response:
        query = (request.args.get("q") or "").strip()
        if len(query) > MAX_QUERY_CHARS or not query.isprintable():
            return web.error_page(400, "Bad search", f"A search is at most {MAX_QUERY_CHARS} "
                                  "printable characters.")
        now = web.bot.clock()
        rows = await web.with_timelines(
            lambda reader: reader.conversations(query or None, now=now, limit=LISTED))
        return web.page("conversations.html", section="conversations", rows=rows,
                        query=query, listed=LISTED)

    @bp.get("/conversations/<customer>")
    async def conversation(customer: str) -> Response:
        number = (request.args.get("number") or "").strip() or None
        if not valid_id(customer) or (number is not None and not valid_id(number)):
            return unknown_customer(web)
        now = web.bot.clock()
        timeline = await web.with_timelines(
            lambda reader: reader.timeline(customer, number=number, now=now))
        if timeline is None:
            return unknown_customer(web)
        return web.page("conversation.html", section="conversations", timeline=timeline,
                        number=number, **reply_form(timeline))


def unknown_customer(web: ConsoleWeb) -> Response:
    return web.error_page(404, "No such customer", "The store knows no conversation with "
                          "that customer.")


def reply_form(timeline: Timeline) -> dict[str, Any]:
    """What the reply form needs: a fresh send id (one send per rendered form) and the
    conversation it goes to by default (the most recently active)."""
    default: ConversationSummary | None = timeline.conversations[0] \
        if timeline.conversations else None
    return {"send_id": uuid.uuid4().hex, "default_number": default.number if default else ""}
