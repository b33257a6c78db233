"""Routers: handlers registered per event kind, with filters, priorities and middleware.

A :class:`Router` is itself a botkit plugin: register the object (an entry point such as
``hello = "botkit_hello:router"``, or ``extra_plugins`` in tests) and botkit calls its hook
methods, which route each event to the first handler that wants it. What a message handler
returns is sent to the customer as the reply.

Order: in a router, handlers and included routers are tried by priority (higher first), then in
the order they were registered or included. A message that is a button tap is offered to
``button`` handlers and to ``message`` handlers, a finished Flow to ``flow_completion`` and
``message`` handlers, each in that same order; every other event to handlers of its own kind.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from ._classify import kinds_of
from ._handlers import Handler
from ._hooks import RouterHooks, UnexpectedHandlerResult
from .asking import AskingRoutes
from .bursts import BurstRoutes
from .filters_base import FilterLike, Predicate, all_of
from .middleware import Middleware, Next, checked, wrap
from .signals import CONTINUE, SkipHandler

F = TypeVar("F", bound=Callable[..., Any])
KINDS = ("message", "button", "flow_completion", "status", "contact", "field", "error", "timer",
         "handoff")
# the name under which handlers receive the event, by the event's kind
EVENT_ARGUMENT = {"message": "message", "status": "status", "contact": "contact",
                  "field": "event", "error": "error", "timer": "timer", "handoff": "handoff"}
# names a filter's data cannot replace: the bot and the event
_RESERVED = ("bot", "event", "conversation", *EVENT_ARGUMENT.values())


class RouterError(ValueError):
    """A router was wired wrongly: included twice, into itself, or in a loop."""


@dataclass(slots=True)
class _Entry:
    priority: int
    order: int
    item: Handler | Router


class Router(RouterHooks, AskingRoutes, BurstRoutes):
    """Handlers for events, registered with decorators; see the module docstring."""

    CONTINUE: ClassVar[Any] = CONTINUE
    _counter = itertools.count()

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"router{next(self._counter)}"
        self.parent: Router | None = None
        self._entries: list[_Entry] = []
        self._ordered: list[_Entry] | None = None
        self._outer: list[Middleware] = []
        self._inner: list[Middleware] = []

    def __repr__(self) -> str:
        return f"Router({self.name!r})"

    # -- registration ----------------------------------------------------------------------

    def add_handler(self, kind: str, callback: Callable[..., Any], *filters: FilterLike,
                    priority: int = 0) -> None:
        """Register ``callback`` for events of ``kind`` (the decorators call this)."""
        if kind not in KINDS:
            raise ValueError(f"unknown handler kind {kind!r}; expected one of {', '.join(KINDS)}")
        handler = Handler(kind, callback, all_of(filters), priority)
        self._add(priority, handler)

    def _decorator(self, kind: str, filters: tuple[FilterLike, ...], priority: int
                   ) -> Callable[[F], F]:
        all_of(filters)  # refuse a non-filter now, where the mistake is
        def register(callback: F) -> F:
            self.add_handler(kind, callback, *filters, priority=priority)
            return callback
        return register

    def message(self, *filters: FilterLike, priority: int = 0) -> Callable[[F], F]:
        """Every inbound message, of every type (taps and finished Flows too, after their own
        handlers); the returned ``str`` or ``dict`` is sent as the reply."""
        return self._decorator("message", filters, priority)

    def button(self, *filters: FilterLike, priority: int = 0) -> Callable[[F], F]:
        """Taps: reply buttons, list rows, template quick-reply buttons. Replies like
        ``message`` handlers."""
        return self._decorator("button", filters, priority)

    def flow_completion(self, *filters: FilterLike, priority: int = 0) -> Callable[[F], F]:
        """Finished WhatsApp Flows (``nfm_reply``). Replies like ``message`` handlers."""
        return self._decorator("flow_completion", filters, priority)

    def status(self, *filters: FilterLike, priority: int = 0) -> Callable[[F], F]:
        """Status updates of messages the business sent."""
        return self._decorator("status", filters, priority)

    def contact(self, *filters: FilterLike, priority: int = 0) -> Callable[[F], F]:
        """Customer profile and identity changes."""
        return self._decorator("contact", filters, priority)

    def field(self, *filters: FilterLike, priority: int = 0) -> Callable[[F], F]:
        """Changes of every other webhook field (templates, account, quality, ...)."""
        return self._decorator("field", filters, priority)

    def error(self, *filters: FilterLike, priority: int = 0) -> Callable[[F], F]:
        """Value-level webhook errors Meta reports."""
        return self._decorator("error", filters, priority)

    def timer(self, *filters: FilterLike, name: str | None = None,
              priority: int = 0) -> Callable[[F], F]:
        """Timers this plugin scheduled (``conversation.schedule(...)``), by ``name`` if given.
        What the handler returns is sent to the conversation's customer."""
        if name is not None:
            filters = (Predicate(lambda t: getattr(t, "name", None) == name,
                                 f"timer name {name!r}"), *filters)
        return self._decorator("timer", filters, priority)

    def handoff(self, *filters: FilterLike, priority: int = 0) -> Callable[[F], F]:
        """A conversation went to a person (``handoff.action == "started"``) or came back."""
        return self._decorator("handoff", filters, priority)

    def include(self, child: Router, *, priority: int = 0) -> Router:
        """Route events through ``child`` too, at this point of the order; returns ``child``."""
        if not isinstance(child, Router):
            raise RouterError(f"include() takes a Router, got {type(child).__name__}")
        if child.parent is not None:
            raise RouterError(f"{child!r} is already included in {child.parent!r}")
        ancestor: Router | None = self
        while ancestor is not None:
            if ancestor is child:
                raise RouterError(f"including {child!r} in {self!r} would make a loop")
            ancestor = ancestor.parent
        child.parent = self
        self._add(priority, child)
        return child

    def outer_middleware(self, middleware: Middleware) -> Middleware:
        """Wrap everything this router does with an event (usable as a decorator)."""
        self._outer.append(checked(middleware))
        return middleware

    def middleware(self, middleware: Middleware) -> Middleware:
        """Wrap each chosen handler of this router and its included routers (a decorator too)."""
        self._inner.append(checked(middleware))
        return middleware

    def _add(self, priority: int, item: Handler | Router) -> None:
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise TypeError(f"priority must be an int, got {priority!r}")
        self._entries.append(_Entry(priority, len(self._entries), item))
        self._ordered = None

    # -- routing ---------------------------------------------------------------------------

    async def dispatch(self, event: Any, **data: Any) -> Any:
        """Route ``event`` and return what the chosen handler returned, or :data:`CONTINUE`
        when no handler took it. ``data`` (``bot=...``) reaches handlers by name."""
        kinds = kinds_of(event)
        routing = {**data, "event": event}
        if getattr(event, "kind", None) in EVENT_ARGUMENT:
            routing[EVENT_ARGUMENT[event.kind]] = event
        return await self._route(event, kinds, routing, ())

    async def _route(self, event: Any, kinds: tuple[str, ...], data: dict[str, Any],
                     inherited: tuple[Middleware, ...]) -> Any:
        inner = inherited + tuple(self._inner)

        async def match(event: Any, data: dict[str, Any]) -> Any:
            return await self._match(event, kinds, data, inner)
        try:
            return await wrap(self._outer, match)(event, dict(data))
        except SkipHandler:
            return CONTINUE

    async def _match(self, event: Any, kinds: tuple[str, ...], data: dict[str, Any],
                     inner: tuple[Middleware, ...]) -> Any:
        for entry in self._sorted():
            item = entry.item
            if isinstance(item, Router):
                result = await item._route(event, kinds, data, inner)
            elif item.kind in kinds:
                found = await item.matches(event)
                if found is None:
                    continue
                merged = {**data, **found, **{k: data[k] for k in _RESERVED if k in data}}
                result = await _call(wrap(inner, item), event, merged)
            else:
                continue
            if result is not CONTINUE:
                return result
        return CONTINUE

    def _sorted(self) -> list[_Entry]:
        if self._ordered is None:
            self._ordered = sorted(self._entries, key=lambda e: (-e.priority, e.order))
        return self._ordered


async def _call(call: Next, event: Any, data: dict[str, Any]) -> Any:
    try:
        return await call(event, data)
    except SkipHandler:
        return CONTINUE


__all__ = ["EVENT_ARGUMENT", "KINDS", "Router", "RouterError", "UnexpectedHandlerResult"]
