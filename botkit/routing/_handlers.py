"""One registered handler: its kind, filters and priority, and how to call it.

A handler's parameters are filled by name from the routing data: ``bot``, the event under its
kind name (``message``, ``status``, ``contact``, ``event``, ``error``), items from filters
(``match``, ``command``, ``callback_data``, ...) and from middleware. A first parameter with
any other name receives the event; ``**kwargs`` receives every item not named otherwise.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botkit.errors import PermanentError

from .filters_base import Filter


class HandlerSignatureError(PermanentError):
    """A handler asks for a parameter that routing does not provide (retrying cannot help)."""


@dataclass(slots=True)
class Handler:
    """A handler function as registered on a router."""

    kind: str
    callback: Callable[..., Any]
    filter: Filter | None
    priority: int
    parameters: list[inspect.Parameter] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not callable(self.callback):
            raise TypeError(f"a handler must be callable, got {type(self.callback).__name__}")
        self.parameters = list(inspect.signature(self.callback).parameters.values())

    @property
    def name(self) -> str:
        return getattr(self.callback, "__qualname__", repr(self.callback))

    async def matches(self, event: Any) -> dict[str, Any] | None:
        """The filters' data when every filter matches, else ``None``."""
        return {} if self.filter is None else await self.filter.evaluate(event)

    async def __call__(self, event: Any, data: dict[str, Any]) -> Any:
        args, kwargs = self._arguments(event, data)
        result = self.callback(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    def _arguments(self, event: Any, data: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for index, param in enumerate(self.parameters):
            if param.kind is param.VAR_KEYWORD:
                named = {p.name for p in self.parameters}
                kwargs.update({k: v for k, v in data.items() if k not in named})
                continue
            if param.kind is param.VAR_POSITIONAL:
                continue
            if param.name in data:
                value = data[param.name]
            elif index == 0:
                value = event
            elif param.default is not param.empty:
                continue
            else:
                raise HandlerSignatureError(
                    f"handler {self.name} needs {param.name!r}, which neither the event nor a "
                    f"filter or middleware provides (available: {', '.join(sorted(data))})")
            if param.kind is param.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[param.name] = value
        return args, kwargs
