"""Bursts: consecutive messages of one conversation handled as one batch (opt-in per handler).

Customers often send a thought in several quick messages ("hi", "i need help", "with my order").
A burst handler gets them together: each matching message is added to a list kept in the
conversation's state and a conversation timer is (re)started; when the customer has been quiet
for the burst window, the timer fires and the handler receives every message of the burst, in
order. Both the list and the timer are durable conversation state, so a burst is collected
correctly across restarts and when its messages reach different instances, and it is handled
once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botkit.events import Message, Timer

from .context import current_conversation
from .filters_base import FilterLike, Predicate
from .signals import CONTINUE

F = TypeVar("F", bound=Callable[..., Any])

BURST_KEY = "_bursts"
BURST_TIMER = "burst:"
_FIELDS = ("key", "field", "waba_id", "phone_number_id", "display_phone_number", "timestamp",
           "id", "type", "sender", "sender_user_id", "text", "reply_id", "context_id")


def _kept(message: Message) -> dict[str, Any]:
    """What is kept of a message until its burst is handled (its raw item included)."""
    kept = {name: getattr(message, name) for name in _FIELDS}
    kept["raw"] = dict(message.raw)
    return kept


def _restored(kept: dict[str, Any]) -> Message:
    return Message(**kept)


class BurstRoutes:
    """The ``burst`` decorator of a router (mixed in)."""

    def add_handler(self, kind: str, callback: Callable[..., Any], *filters: FilterLike,
                    priority: int = 0) -> None:  # implemented by Router
        raise NotImplementedError

    def burst(self, seconds: float, *filters: FilterLike, name: str | None = None,
              priority: int = 0) -> Callable[[F], F]:
        """Collect matching messages until the customer is quiet for ``seconds``, then call the
        handler once with ``messages`` (a list, oldest first); what it returns is sent."""
        if seconds <= 0:
            raise ValueError("a burst window must be longer than 0 seconds")

        def register(callback: F) -> F:
            label = name or getattr(callback, "__qualname__", "burst")
            timer_name = BURST_TIMER + label

            def collect(message: Message) -> Any:
                conversation = current_conversation.get()
                if conversation is None:
                    return CONTINUE  # outside a conversation there is nothing to collect in
                bursts = conversation.data.setdefault(BURST_KEY, {})
                bursts.setdefault(label, []).append(_kept(message))
                conversation.schedule(timer_name, delay=seconds)  # restarts the window
                return None
            collect.__qualname__ = f"collect {label!r}"

            async def flush(timer: Timer, **data: Any) -> Any:
                conversation = current_conversation.get()
                if conversation is None:
                    return None
                bursts = conversation.data.get(BURST_KEY, {})
                kept = bursts.pop(label, [])
                if not bursts:
                    conversation.data.pop(BURST_KEY, None)
                if not kept:
                    return None
                handler_data = {**data, "messages": [_restored(k) for k in kept]}
                result = callback(**_wanted(callback, handler_data))
                return await result if hasattr(result, "__await__") else result

            def due(event: Any) -> bool:
                return isinstance(event, Timer) and event.name == timer_name

            self.add_handler("message", collect, *filters, priority=priority)
            self.add_handler("timer", _flush_signature(flush), Predicate(due, timer_name),
                             priority=priority)
            return callback
        return register


def _wanted(callback: Callable[..., Any], data: dict[str, Any]) -> dict[str, Any]:
    """The items of ``data`` the callback names (``bot``, ``conversation``, ``messages``)."""
    import inspect

    parameters = inspect.signature(callback).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return data
    return {name: value for name, value in data.items() if name in parameters}


def _flush_signature(flush: Callable[..., Any]) -> Callable[..., Any]:
    """Give the flusher a plain signature so routing passes it the timer and every item."""
    async def run(timer: Timer, **data: Any) -> Any:
        return await flush(timer, **data)
    return run
