"""Middleware: code that runs around routing and around handlers, and may stop either.

A middleware is ``async def middleware(handler, event, data)``. It may do work before and after
``await handler(event, data)``, add to ``data`` (handlers receive its items by parameter name),
or return without calling ``handler`` to short-circuit. Exceptions are not caught here: they
reach botkit, which retries the plugin and finally keeps the event as a dead letter.

Outer middleware (``router.outer_middleware``) wraps everything the router does with an event:
its filters, its handlers and its included routers. Inner middleware (``router.middleware``)
wraps the one handler chosen, after its filters matched, in this router and the routers it
includes. What a middleware returns is the outcome: return ``CONTINUE`` to let routing go on
as if nothing here matched, anything else (``None`` included) to end routing with that result.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias

Next: TypeAlias = Callable[[Any, dict[str, Any]], Awaitable[Any]]
Middleware: TypeAlias = Callable[[Next, Any, dict[str, Any]], Awaitable[Any]]


class NotAMiddleware(TypeError):
    """A middleware must be an ``async def (handler, event, data)``."""


def checked(middleware: Any) -> Middleware:
    """``middleware`` if it can be awaited as one; a clear error at registration otherwise."""
    call = getattr(middleware, "__call__", None)  # noqa: B004 - async callable objects count
    if not (inspect.iscoroutinefunction(middleware) or inspect.iscoroutinefunction(call)):
        name = getattr(middleware, "__qualname__", type(middleware).__name__)
        raise NotAMiddleware(f"middleware {name} must be an async def taking "
                             "(handler, event, data)")
    return middleware  # type: ignore[no-any-return]


def wrap(middlewares: Sequence[Middleware], innermost: Next) -> Next:
    """``innermost`` wrapped in ``middlewares``, the first one outermost."""
    call = innermost
    for middleware in reversed(middlewares):
        call = _layer(middleware, call)
    return call


def _layer(middleware: Middleware, inner: Next) -> Next:
    async def call(event: Any, data: dict[str, Any]) -> Any:
        return await middleware(inner, event, data)
    return call


__all__ = ["Middleware", "Next", "NotAMiddleware", "checked", "wrap"]
