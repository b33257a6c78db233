"""Which handling is under way in this task: how a handler reaches its conversation and outbox.

A leaf module (it knows no bot), so that the bot, the event shortcuts and the routers can all
find the current handling without importing the dispatcher.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # for the protocol's signatures only: this module imports nothing of botkit
    from botkit.conversations.conversation import Conversation
    from botkit.conversations.records import OutboxItem


class CurrentHandling(Protocol):
    """What a running handler may ask of the handling it runs in."""

    plugin: str
    #: The business number of the event being handled, if it has one.
    number: str | None

    async def conversation(self) -> Conversation: ...

    def queue(self, phone_number_id: str, to: str | None, body: Mapping[str, Any], *,
              recipient: str | None = None,
              fallback: Mapping[str, Any] | None = None) -> OutboxItem: ...


current_handling: contextvars.ContextVar[CurrentHandling | None] = contextvars.ContextVar(
    "botkit_current_handling", default=None)
