"""Text messages, and splitting a long text into several that each fit Meta's 4,096 characters.

A text is split where a reader would pause: at a paragraph break, else after a sentence, else
between words, and only as a last resort inside a word (never inside an emoji sequence or
between a letter and its accent). No character is dropped or reordered: joined again, the
parts are the text, apart from parts that would be only blanks (Meta refuses those).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder, body_of
from botkit.whatsapp.builders.errors import EmptyText

TEXT_LIMIT = 4096
# Where a part may end, best first: after a blank line, after a sentence (or a line), after
# a space. A boundary is used only when it keeps the part at least half full, so that a break
# near the start does not make a tiny message.
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SENTENCE = re.compile(r"(?:[.!?\u2026\u3002\uff01\uff1f]+[\"')\]\u2019\u201d\u00bb]*\s+)|\n\s*")
_WORD = re.compile(r"\s+")
_JOINERS = {"\u200d", "\u2060"}


@dataclass(frozen=True, slots=True)
class Text(MessageBuilder):
    """A text message of at most 4,096 characters; ``preview_url`` shows a preview of the
    first link in it. Longer texts: :func:`texts` splits them."""

    body: str
    preview_url: bool = False

    def __post_init__(self) -> None:
        check.text(self.body, "text body", TEXT_LIMIT)

    def to_body(self) -> dict[str, Any]:
        content: dict[str, Any] = {"body": self.body}
        if self.preview_url:
            content["preview_url"] = True
        return {"type": "text", "text": content}


def texts(body: str, *, preview_url: bool = False, limit: int = TEXT_LIMIT) -> list[Text]:
    """``body`` as one or more text messages, split as :func:`split_text` does; raises
    :class:`EmptyText` for a blank text."""
    parts = split_text(check.text(body, "text body"), limit)
    if not parts:
        raise EmptyText("text body")
    return [Text(part, preview_url=preview_url) for part in parts]


def message_bodies(message: Any) -> list[dict[str, Any]]:
    """The messages to send for ``message``, in order: a ``str`` longer than Meta's 4,096
    characters becomes several text messages (see :func:`split_text`); a builder or a
    mapping is one message."""
    if isinstance(message, str):
        return [part.to_body() for part in texts(message)]
    return [body_of(message)]


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, in order, cut at the best boundary
    available (paragraph, sentence, word, character). Parts that are only whitespace are
    left out; every other character is kept, in order."""
    if limit < 2:
        raise ValueError(f"limit must be at least 2 characters, got {limit}")
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _cut(rest, limit)
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return [part for part in parts if part.strip()]


def _cut(text: str, limit: int) -> int:
    """Where the first part of ``text`` ends (1..limit)."""
    window = text[:limit]
    for boundary in (_PARAGRAPH, _SENTENCE, _WORD):
        ends = [match.end() for match in boundary.finditer(window)]
        # A match that reaches the end of the window may continue past it: cut there anyway,
        # the rest of the whitespace starts the next part.
        good = [end for end in ends if end >= limit // 2]
        if good:
            return good[-1]
    return _grapheme_safe(text, limit)


def _grapheme_safe(text: str, limit: int) -> int:
    """``limit``, moved back so that a combining mark, a variation selector or a joined emoji
    stays with the character before it (when that leaves anything)."""
    cut = limit
    while cut > 1 and _binds(text[cut - 1], text[cut]):
        cut -= 1
    return cut if cut > 1 or not _binds(text[0], text[1]) else limit


def _binds(before: str, after: str) -> bool:
    """True when ``after`` belongs to the same visible character as ``before``."""
    if before in _JOINERS or after in _JOINERS:
        return True
    if "\ufe00" <= after <= "\ufe0f" or "\U0001f3fb" <= after <= "\U0001f3ff":
        return True  # variation selectors, skin tones
    if "\U000e0020" <= after <= "\U000e007f":
        return True  # tag characters (subdivision flags)
    if _is_regional(before) and _is_regional(after):
        return True  # flags are pairs; a run of them is kept whole
    return unicodedata.category(after).startswith("M")


def _is_regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"
