"""What a plugin may answer a message with: :data:`Reply`, and :data:`NO_REPLY` to stay silent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeAlias, final


@final
class NoReply:
    """The type of :data:`NO_REPLY`: "handled, send nothing, ask no other plugin"."""

    _instance: NoReply | None = None

    def __new__(cls) -> NoReply:
        # One value only, so ``reply is NO_REPLY`` always works, even after a pickle round trip.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "botkit.NO_REPLY"

    def __reduce__(self) -> str:
        return "NO_REPLY"


NO_REPLY: Final = NoReply()

#: A reply: a ``str`` is sent as a text message; a mapping is a Cloud API message object such
#: as ``{"type": "interactive", "interactive": {...}}``; :data:`NO_REPLY` stops the chain.
Reply: TypeAlias = str | Mapping[str, Any] | NoReply
