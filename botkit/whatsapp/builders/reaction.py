"""A reaction to a message (``reaction``), and its removal (the empty emoji).

Reactions cannot quote a message (no ``context``) and only get a ``sent`` status. Meta takes a
single emoji; botkit refuses anything with letters, digits alone or spaces before sending.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import InvalidEmoji

#: The longest emoji sequence taken, in code points (family and flag sequences are long).
MAX_EMOJI_CODE_POINTS = 16


@dataclass(frozen=True, slots=True)
class Reaction(MessageBuilder):
    """React to ``message_id`` with ``emoji``; ``emoji=""`` removes the reaction."""

    message_id: str
    emoji: str

    def __post_init__(self) -> None:
        check.identifier(self.message_id, "reaction message_id", 256)
        if self.emoji != "":
            _check_emoji(self.emoji)

    @classmethod
    def removal(cls, message_id: str) -> Reaction:
        """Remove the business's reaction from ``message_id``."""
        return cls(message_id, "")

    def to_body(self) -> dict[str, Any]:
        return {"type": "reaction",
                "reaction": {"message_id": self.message_id, "emoji": self.emoji}}


def _check_emoji(emoji: Any) -> None:
    if not isinstance(emoji, str):
        raise InvalidEmoji("reaction emoji", f"must be a string, not {type(emoji).__name__}")
    if len(emoji) > MAX_EMOJI_CODE_POINTS:
        raise InvalidEmoji("reaction emoji", f"must be one emoji (at most "
                           f"{MAX_EMOJI_CODE_POINTS} code points), got {len(emoji)}")
    categories = [unicodedata.category(char) for char in emoji]
    pictographic = any(c in ("So", "Sk") for c in categories) or "\u20e3" in emoji  # keycaps
    if any(c[0] in "LZ" or c in ("Cc", "Co", "Cn") for c in categories) or not pictographic:
        raise InvalidEmoji("reaction emoji", f"must be an emoji, got {emoji!r}")
