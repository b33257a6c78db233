"""How plugins answer Flow requests: handlers registered by action, Flow and screen.

A Flow with an endpoint asks it what to show: once when it opens (``INIT``), on every screen
submission (``data_exchange``) and, if the Flow JSON asks for it, when the user goes back
(``BACK``). A plugin registers a handler per case on a :class:`FlowHandlers` registry; the
registries of all plugins are merged into one for the endpoint. The most specific handler wins
(a Flow id beats any Flow, a screen beats any screen, a plugin's own beats a shared one), so a
plugin can have a catch-all and still special-case one screen.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botkit.errors import BotkitError
from botkit.flows.tokens import FlowTokenClaims

INIT = "INIT"
DATA_EXCHANGE = "data_exchange"
BACK = "BACK"
ACTIONS = (INIT, DATA_EXCHANGE, BACK)
SUCCESS_SCREEN = "SUCCESS"  # Meta's reserved name: answering it closes the Flow
SCREEN_ID = re.compile(r"[A-Za-z_]+")  # Meta: screen ids are letters and underscores only


def shown_name(name: str | None) -> str | None:
    """``name`` when it looks like a screen id or action (safe in a log line or a metric
    label), a placeholder otherwise: names come from requests and are not trusted that far."""
    if name is None or (len(name) <= 64 and SCREEN_ID.fullmatch(name)):
        return name
    return "(not a screen id)"


@dataclass(frozen=True)
class FlowRequest:
    """One decrypted request from an open Flow, with the verified claims of its token.

    ``screen`` is None for ``INIT``; ``data`` is what the screen submitted (empty if nothing);
    ``context`` is whatever the endpoint was given (the bot, in a botkit app).
    """

    action: str
    screen: str | None
    data: dict[str, Any]
    flow_token: str
    claims: FlowTokenClaims
    version: str
    context: Any = None


@dataclass(frozen=True)
class FlowResponse:
    """A handler's answer: show a screen, or close the Flow. Build it with the classmethods."""

    next_screen: str | None
    data: Mapping[str, Any] = field(default_factory=dict)
    close_params: Mapping[str, Any] | None = None

    @classmethod
    def screen(cls, name: str, data: Mapping[str, Any] | None = None) -> FlowResponse:
        """Show screen ``name`` with ``data`` (the screen's declared data; put
        ``error_message`` in it to show an error on that screen)."""
        if not isinstance(name, str) or not SCREEN_ID.fullmatch(name) or name == SUCCESS_SCREEN:
            raise ValueError(f"{name!r} is not a screen id (letters and underscores, not "
                             f"{SUCCESS_SCREEN}); use FlowResponse.close() to close the Flow")
        return cls(next_screen=name, data=dict(data or {}))

    @classmethod
    def close(cls, params: Mapping[str, Any] | None = None) -> FlowResponse:
        """Close the Flow; ``params`` come back in the completion message's ``response_json``
        together with the ``flow_token``, which the endpoint adds."""
        params = dict(params or {})
        if "flow_token" in params:
            raise ValueError("close params must not contain flow_token: the endpoint adds the "
                             "request's own token")
        return cls(next_screen=None, close_params=params)

    @property
    def closes(self) -> bool:
        return self.close_params is not None

    def payload(self, flow_token: str) -> dict[str, Any]:
        """The JSON object Meta expects, before encryption."""
        if self.close_params is not None:
            params = {**self.close_params, "flow_token": flow_token}
            return {"screen": SUCCESS_SCREEN,
                    "data": {"extension_message_response": {"params": params}}}
        return {"screen": self.next_screen, "data": dict(self.data)}


FlowHandler = Callable[[FlowRequest], "FlowResponse | Awaitable[FlowResponse]"]
H = TypeVar("H", bound=Callable[..., Any])


class FlowHandlerConflictError(BotkitError):
    """Two handlers were registered for exactly the same case."""


class NoFlowHandlerError(BotkitError):
    """No registered handler answers this request."""

    def __init__(self, action: str, flow_id: str, screen: str | None) -> None:
        self.action, self.flow_id, self.screen = action, flow_id, screen
        where = f" on screen {shown_name(screen)}" if screen else ""
        super().__init__(f"no handler for {action} of flow {flow_id}{where}")


class FlowHandlerError(BotkitError):
    """A handler raised or returned something other than a :class:`FlowResponse`."""

    def __init__(self, handler: str, problem: str) -> None:
        self.handler = handler
        super().__init__(f"flow handler {handler} {problem}")


@dataclass(frozen=True)
class _Route:
    action: str
    flow_id: str | None
    screen: str | None
    plugin: str | None
    handler: FlowHandler

    @property
    def case(self) -> tuple[str, str | None, str | None, str | None]:
        return (self.action, self.flow_id, self.screen, self.plugin)

    @property
    def specificity(self) -> int:
        return ((self.flow_id is not None) * 4 + (self.screen is not None) * 2
                + (self.plugin is not None))

    def matches(self, action: str, claims: FlowTokenClaims, screen: str | None) -> bool:
        return (self.action == action
                and self.flow_id in (None, claims.flow_id)
                and self.screen in (None, screen)
                and self.plugin in (None, claims.plugin))


def handler_name(handler: Callable[..., Any]) -> str:
    """``module.qualname`` of a handler, for log lines."""
    module = getattr(handler, "__module__", None) or "?"
    return f"{module}.{getattr(handler, '__qualname__', type(handler).__name__)}"


class FlowHandlers:
    """A registry of Flow handlers. ``plugin`` set: its handlers only answer tokens that plugin
    issued (the token's ``plugin`` claim); None: they answer any token."""

    def __init__(self, plugin: str | None = None) -> None:
        self.plugin = plugin
        self._routes: list[_Route] = []

    def __len__(self) -> int:
        return len(self._routes)

    def add(self, action: str, handler: FlowHandler, *, flow_id: str | None = None,
            screen: str | None = None) -> None:
        """Register ``handler`` for ``action`` (``INIT``, ``data_exchange``, ``BACK``),
        optionally only for one Flow id and one screen."""
        if action not in ACTIONS:
            raise ValueError(f"unknown Flow action {action!r}; one of {', '.join(ACTIONS)}")
        if action == INIT and screen is not None:
            raise ValueError("INIT requests have no screen: register without one")
        if not callable(handler):
            raise TypeError("a flow handler must be callable")
        self._insert(_Route(action, flow_id, screen, self.plugin, handler))

    def _insert(self, route: _Route) -> None:
        for known in self._routes:
            if known.case == route.case:
                raise FlowHandlerConflictError(
                    f"{handler_name(route.handler)} and {handler_name(known.handler)} both "
                    f"handle {route.action} (flow {route.flow_id or 'any'}, screen "
                    f"{route.screen or 'any'}, plugin {route.plugin or 'any'})")
        self._routes.append(route)

    def on(self, action: str, *, flow_id: str | None = None,
           screen: str | None = None) -> Callable[[H], H]:
        """Decorator form of :meth:`add`."""
        def register(handler: H) -> H:
            self.add(action, handler, flow_id=flow_id, screen=screen)
            return handler
        return register

    def on_init(self, *, flow_id: str | None = None) -> Callable[[H], H]:
        """Handle the request a Flow makes when it opens."""
        return self.on(INIT, flow_id=flow_id)

    def on_data_exchange(self, *, flow_id: str | None = None,
                         screen: str | None = None) -> Callable[[H], H]:
        """Handle a screen's submission."""
        return self.on(DATA_EXCHANGE, flow_id=flow_id, screen=screen)

    def on_back(self, *, flow_id: str | None = None,
                screen: str | None = None) -> Callable[[H], H]:
        """Handle the back button on a screen whose Flow JSON sets ``refresh_on_back``."""
        return self.on(BACK, flow_id=flow_id, screen=screen)

    def include(self, other: FlowHandlers) -> None:
        """Merge another registry (another plugin's) into this one; a same case twice raises."""
        for route in other._routes:
            self._insert(route)

    def find(self, action: str, claims: FlowTokenClaims, screen: str | None) -> FlowHandler:
        """The most specific handler for the request, or :class:`NoFlowHandlerError`."""
        best: _Route | None = None
        for route in self._routes:
            if route.matches(action, claims, screen) and (
                    best is None or route.specificity > best.specificity):
                best = route
        if best is None:
            raise NoFlowHandlerError(action, claims.flow_id, screen)
        return best.handler

    async def answer(self, request: FlowRequest) -> FlowResponse:
        """Run the handler for ``request``: ``async def`` handlers are awaited, plain functions
        run in a worker thread so a blocking call never stalls the other requests."""
        handler = self.find(request.action, request.claims, request.screen)
        try:
            if inspect.iscoroutinefunction(handler):
                result = await handler(request)
            else:
                result = await asyncio.to_thread(handler, request)
                if inspect.isawaitable(result):
                    result = await result
        except Exception as exc:
            raise FlowHandlerError(handler_name(handler),
                                   f"raised {type(exc).__name__}") from exc
        if not isinstance(result, FlowResponse):
            raise FlowHandlerError(handler_name(handler),
                                   f"returned {type(result).__name__}, not a FlowResponse")
        return result
