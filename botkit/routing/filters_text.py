"""Filters on what the customer typed: text comparisons, regular expressions and commands.

They look at text messages only (``message.type == "text"``); a button tap's title, a caption
or a reaction never matches them, so a text rule cannot catch a tap by accident. Texts are
compared after Unicode NFC normalisation, so an accent typed as one or two code points is the
same text. ``equals`` and ``startswith`` ignore surrounding whitespace; ``ignore_case`` compares
case-folded text (``"STRASSE"`` equals ``"straße"``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from botkit.events import Message

from .filters_base import Filter, Predicate


def message_text(event: Any) -> str | None:
    """The body of a text message, else ``None``."""
    if isinstance(event, Message) and event.type == "text" and isinstance(event.text, str):
        return event.text
    return None


def _normal(text: str, ignore_case: bool) -> str:
    text = unicodedata.normalize("NFC", text)
    return text.casefold() if ignore_case else text


def _needles(values: tuple[str, ...], what: str, ignore_case: bool, *, trim: bool
             ) -> tuple[str, ...]:
    if not values:
        raise ValueError(f"text.{what}() needs at least one text to compare with")
    for value in values:
        if not isinstance(value, str):
            raise TypeError(f"text.{what}() takes strings, got {type(value).__name__}")
    return tuple(_normal(v.strip() if trim else v, ignore_case) for v in values)


def _describe(what: str, values: tuple[Any, ...], ignore_case: bool) -> str:
    shown = ", ".join(repr(v) for v in values)
    return f"text.{what}({shown}{', ignore_case=True' if ignore_case else ''})"


class TextFilters:
    """``f.text``: filters on the body of text messages."""

    @staticmethod
    def any() -> Filter:
        """Any text message."""
        return Predicate(lambda event: message_text(event) is not None, "text.any()")

    @staticmethod
    def equals(*texts: str, ignore_case: bool = False) -> Filter:
        """The trimmed text is one of ``texts`` (each trimmed too)."""
        wanted = frozenset(_needles(texts, "equals", ignore_case, trim=True))

        def check(event: Any) -> bool:
            text = message_text(event)
            return text is not None and _normal(text.strip(), ignore_case) in wanted
        return Predicate(check, _describe("equals", texts, ignore_case))

    @staticmethod
    def contains(*parts: str, ignore_case: bool = False) -> Filter:
        """The text contains one of ``parts`` (as given, spaces included)."""
        needles = _needles(parts, "contains", ignore_case, trim=False)

        def check(event: Any) -> bool:
            text = message_text(event)
            if text is None:
                return False
            haystack = _normal(text, ignore_case)
            return any(needle in haystack for needle in needles)
        return Predicate(check, _describe("contains", parts, ignore_case))

    @staticmethod
    def startswith(*prefixes: str, ignore_case: bool = False) -> Filter:
        """The text, without leading whitespace, starts with one of ``prefixes``."""
        needles = _needles(prefixes, "startswith", ignore_case, trim=False)

        def check(event: Any) -> bool:
            text = message_text(event)
            return text is not None and _normal(text.lstrip(), ignore_case).startswith(needles)
        return Predicate(check, _describe("startswith", prefixes, ignore_case))

    @staticmethod
    def regex(pattern: str | re.Pattern[str], *, ignore_case: bool = False) -> Filter:
        """``re.search`` finds ``pattern`` in the trimmed text; the handler gets ``match``."""
        flags = re.IGNORECASE if ignore_case else 0
        if isinstance(pattern, re.Pattern):
            compiled = re.compile(pattern.pattern, pattern.flags | flags) if flags else pattern
        else:
            compiled = re.compile(pattern, flags)

        def check(event: Any) -> dict[str, Any] | None:
            text = message_text(event)
            if text is None:
                return None
            found = compiled.search(unicodedata.normalize("NFC", text.strip()))
            return {"match": found} if found else None
        return Predicate(check, _describe("regex", (compiled.pattern,), ignore_case))


text = TextFilters()


def command(*names: str, prefix: str | tuple[str, ...] = "/", plain: bool = False,
            ignore_case: bool = True) -> Filter:
    """A command: the first word of a text message, such as ``/start`` in ``/start summer``.

    ``names`` are the commands to accept (none: any command). With ``plain=True`` the prefix
    may be left out, so ``STOP`` and ``/stop`` both match ``command("stop", plain=True)``. The
    handler gets ``command`` (the name as listed, or as typed when ``names`` is empty) and
    ``args`` (the rest of the text, trimmed; ``""`` when there is none).
    """
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    if not plain and not any(prefixes):
        raise ValueError("command() needs a non-empty prefix, or plain=True for bare keywords")
    for name in names:
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise ValueError(f"a command name is one word without spaces, got {name!r}")
    by_key = {_normal(_strip_prefix(name, prefixes, True) or name, ignore_case): name
              for name in names}

    def check(event: Any) -> dict[str, Any] | None:
        body = message_text(event)
        words = body.split(maxsplit=1) if body is not None else []
        if not words:
            return None
        name = _strip_prefix(words[0], prefixes, plain)
        if not name:
            return None
        key = _normal(name, ignore_case)
        if by_key and key not in by_key:
            return None
        return {"command": by_key.get(key, name), "args": words[1].strip() if len(words) > 1
                else ""}

    shown = ", ".join(repr(n) for n in names)
    options = [f"prefix={prefix!r}"] if prefixes != ("/",) else []
    options += ["plain=True"] if plain else []
    options += ["ignore_case=False"] if not ignore_case else []
    return Predicate(check, f"command({', '.join(filter(None, [shown, *options]))})")


def _strip_prefix(word: str, prefixes: tuple[str, ...], plain: bool) -> str | None:
    for candidate in sorted((p for p in prefixes if p), key=len, reverse=True):
        if word.startswith(candidate):
            return word[len(candidate):]
    return word if plain else None


__all__ = ["TextFilters", "command", "message_text", "text"]
