"""Per-event context that filters read without the dispatcher passing it through every call.

The conversation-state feature puts the current conversation (an object with a ``state``
attribute) here while it runs a router for an event; ``filters.state(...)`` reads it. A
contextvar keeps concurrent conversations apart: each dispatch task sees only its own.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

current_conversation: ContextVar[Any | None] = ContextVar("botkit_current_conversation",
                                                          default=None)

__all__ = ["current_conversation"]
