"""How a handler or middleware says "not mine, keep looking" instead of handling an event.

Routing stops at the first matching handler. A handler that matched on its filters but decides
at run time that it should not handle the event returns :data:`CONTINUE` or raises
:class:`SkipHandler`; routing then goes on with the next candidate, as if the filters had not
matched. A router that found no handler also answers :data:`CONTINUE`.
"""

from __future__ import annotations

from typing import Final


class _Continue:
    """The type of :data:`CONTINUE`; one instance, compared with ``is``."""

    _instance: _Continue | None = None

    def __new__(cls) -> _Continue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "botkit.routing.CONTINUE"


CONTINUE: Final = _Continue()


class SkipHandler(Exception):
    """Raise inside a handler (or middleware) to pass the event on, like returning CONTINUE."""


__all__ = ["CONTINUE", "SkipHandler"]
