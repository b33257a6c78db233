"""Routing the answers of ``conversation.ask(...)``: answers, cancel words, wrong kinds, silence.

The question being waited on lives in the conversation's state, so the wait survives restarts
and works across instances (unlike in-memory "wait for reply" listeners). ``@router.answer``
handlers come before a router's other message handlers; a message of the wrong kind gets the
question again; a cancel word goes to ``@router.cancelled``; the ask's timer to
``@router.timed_out``. Before any of these handlers runs the wait is over, so a handler may ask
the next question.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from botkit.conversations.conversation import ASK_TIMER
from botkit.events import Message, Timer

from ._classify import tap_source
from .context import current_conversation
from .filters_base import FilterLike, Predicate

F = TypeVar("F", bound=Callable[..., Any])

#: Answer handlers and their helpers run before a router's ordinary message handlers.
ASKING_PRIORITY = 1_000_000


def answer_kind(message: Message) -> str:
    """What kind of answer a message is, in ``expect=`` terms."""
    if tap_source(message) is not None:
        return "button"
    if message.type == "audio" and message.content.get("voice"):
        return "voice"
    return message.type


def _waiting(step: str) -> tuple[Any, dict[str, Any]] | None:
    conversation = current_conversation.get()
    question = getattr(conversation, "question", None)
    if question is None or question.get("step") != step:
        return None
    return conversation, dict(question)


def _cancelling(message: Message, question: dict[str, Any]) -> bool:
    return (message.text or "").strip().lower() in question.get("cancel", ())


def _expected(message: Message, question: dict[str, Any]) -> bool:
    expect = question.get("expect")
    return expect is None or expect == answer_kind(message) or (
        expect == "audio" and answer_kind(message) == "voice")


def _is(step: str, outcome: str) -> Predicate:
    def check(event: Any) -> bool:
        waiting = _waiting(step)
        if waiting is None or not isinstance(event, Message):
            return False
        cancel = _cancelling(event, waiting[1])
        if outcome == "cancel":
            return cancel
        expected = _expected(event, waiting[1])
        return not cancel and (expected if outcome == "answer" else not expected)
    return Predicate(check, f"{outcome} to {step!r}")


def _after_the_wait(callback: F) -> F:
    """``callback`` with the wait ended first (same signature, so arguments fill as usual)."""
    @functools.wraps(callback)
    def ended(*args: Any, **kwargs: Any) -> Any:
        conversation = current_conversation.get()
        if conversation is not None:
            conversation.stop_asking()
        return callback(*args, **kwargs)
    ended.__signature__ = inspect.signature(callback)  # type: ignore[attr-defined]
    return ended  # type: ignore[return-value]


class AskingRoutes:
    """The ``answer``, ``cancelled`` and ``timed_out`` decorators of a router (mixed in)."""

    def add_handler(self, kind: str, callback: Callable[..., Any], *filters: FilterLike,
                    priority: int = 0) -> None:  # implemented by Router
        raise NotImplementedError

    def answer(self, step: str, *filters: FilterLike) -> Callable[[F], F]:
        """The customer's answer to ``conversation.ask(step, ...)`` (of the expected kind).
        A message of another kind has the question sent again."""
        def register(callback: F) -> F:
            self.add_handler("message", _after_the_wait(callback), _is(step, "answer"),
                             *filters, priority=ASKING_PRIORITY)
            self.add_handler("message", _reasker(step), _is(step, "mismatch"),
                             priority=ASKING_PRIORITY - 1)
            return callback
        return register

    def cancelled(self, step: str) -> Callable[[F], F]:
        """A cancel word while ``step`` was asked."""
        def register(callback: F) -> F:
            self.add_handler("message", _after_the_wait(callback), _is(step, "cancel"),
                             priority=ASKING_PRIORITY + 1)
            return callback
        return register

    def timed_out(self, step: str) -> Callable[[F], F]:
        """No answer to ``step`` within the ask's ``timeout``; what it returns is sent."""
        def register(callback: F) -> F:
            def due(event: Any) -> bool:
                return isinstance(event, Timer) and event.name == ASK_TIMER + step
            self.add_handler("timer", _after_the_wait(callback),
                             Predicate(due, f"timeout of {step!r}"), priority=ASKING_PRIORITY)
            return callback
        return register


def _reasker(step: str) -> Callable[[Message], Any]:
    def ask_again(message: Message) -> Any:
        waiting = _waiting(step)
        return waiting[1]["question"] if waiting else None
    ask_again.__qualname__ = f"ask {step!r} again"
    return ask_again
