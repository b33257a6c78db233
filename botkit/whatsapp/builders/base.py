"""What every message builder is: a checked, immutable description of one message that turns
into the Cloud API's message object with :meth:`MessageBuilder.to_body`.

A builder is also a read-only mapping (its keys and values are those of ``to_body()``), so it
is accepted wherever botkit takes a message object already: ``message.reply(...)``,
``conversation.send(...)``, a router handler's return value, ``reply_for_message`` and
``bot.whatsapp.send(...)``. Its limits are checked when it is built, close to the mistake.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class MessageBuilder(Mapping[str, Any]):
    """Base of the builders: ``to_body()`` gives ``{"type": ..., <type>: {...}}``."""

    __slots__ = ()

    def to_body(self) -> dict[str, Any]:
        """The message object for ``POST /{phone-number-id}/messages`` (without the
        addressing keys, which the client adds)."""
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.to_body()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_body())

    def __len__(self) -> int:
        return len(self.to_body())


def body_of(message: Any) -> dict[str, Any]:
    """The message object of a builder (anything with ``to_body()``) or of a mapping."""
    to_body = getattr(message, "to_body", None)
    if callable(to_body):
        return dict(to_body())
    if isinstance(message, Mapping):
        return dict(message)
    raise TypeError(f"a message is a builder or a mapping, not {type(message).__name__}")

