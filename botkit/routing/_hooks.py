"""How a router meets botkit: the hook implementations that route each event.

A router is a pluggy plugin object. While it routes an event inside botkit's dispatch, the
plugin's conversation is loaded once and offered to handlers (the ``conversation`` argument) and
to filters (``f.state(...)``); what a message or timer handler returns is queued in the outbox,
so it is committed with the delivery record and sent at most once.
"""

from __future__ import annotations

from typing import Any

from botkit import NO_REPLY, hookimpl
from botkit.conversations.context import current_handling
from botkit.errors import PermanentError

from .context import current_conversation
from .replying import send_reply
from .signals import CONTINUE

# Event kinds a conversation belongs to (statuses and field changes have none worth loading).
_CONVERSATIONAL = frozenset({"message", "timer", "handoff"})


class UnexpectedHandlerResult(PermanentError):
    """A handler of an event nobody can be answered for returned something to send."""


class RouterHooks:
    """botkit's hooks for :class:`~botkit.routing.Router` (mixed into it)."""

    async def dispatch(self, event: Any, **data: Any) -> Any:  # implemented by Router
        raise NotImplementedError

    async def _dispatch_in_conversation(self, bot: Any, event: Any) -> Any:
        handling = current_handling.get()
        if handling is None or getattr(event, "kind", None) not in _CONVERSATIONAL:
            return await self.dispatch(event, bot=bot)
        conversation = await handling.conversation()
        token = current_conversation.set(conversation)
        try:
            return await self.dispatch(event, bot=bot, conversation=conversation)
        finally:
            current_conversation.reset(token)

    @hookimpl
    async def message_received(self, bot: Any, message: Any) -> None:
        """Route an inbound message and send what its handler returned."""
        result = await self._dispatch_in_conversation(bot, message)
        if result is not CONTINUE:
            await send_reply(bot, message, result)

    @hookimpl
    async def timer_fired(self, bot: Any, timer: Any) -> None:
        """Route a timer; what its handler returns goes to the conversation's customer."""
        result = await self._dispatch_in_conversation(bot, timer)
        if result is not CONTINUE and result is not None and result is not NO_REPLY:
            conversation = current_handling.get()
            if conversation is None:
                raise UnexpectedHandlerResult("a timer handler returned a reply outside "
                                              "botkit's dispatch")
            (await conversation.conversation()).send(result)

    @hookimpl
    async def handoff_started(self, bot: Any, handoff: Any) -> None:
        await self._route_unanswerable(bot, handoff)

    @hookimpl
    async def handoff_ended(self, bot: Any, handoff: Any) -> None:
        await self._route_unanswerable(bot, handoff)

    @hookimpl
    async def status_received(self, bot: Any, status: Any) -> None:
        await self._route_unanswerable(bot, status)

    @hookimpl
    async def contact_updated(self, bot: Any, contact: Any) -> None:
        await self._route_unanswerable(bot, contact)

    @hookimpl
    async def event_received(self, bot: Any, event: Any) -> None:
        await self._route_unanswerable(bot, event)

    @hookimpl
    async def error_received(self, bot: Any, error: Any) -> None:
        await self._route_unanswerable(bot, error)

    async def _route_unanswerable(self, bot: Any, event: Any) -> None:
        result = await self._dispatch_in_conversation(bot, event)
        if result is not CONTINUE and result is not None and result is not NO_REPLY:
            raise UnexpectedHandlerResult(
                f"a {event.kind} handler in {self!r} returned {type(result).__name__}; only "
                "message, button, flow_completion and timer handlers can reply")
