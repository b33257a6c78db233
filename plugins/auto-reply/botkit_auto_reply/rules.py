"""Reply rules: which inbound message a rule answers, compiled once when the bot starts.

Each rule becomes a router filter (:attr:`Rule.filter`), composed from botkit's own filters
where they say the same thing (message types, button ids and where a tap came from) and from
small predicates on the message text. The text here is wider than botkit's ``f.text``
filters look at: a caption, a button's title, a reaction's emoji count too.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botkit import Message
from botkit import filters as f

from .replies import ReplyTemplate

# Messages that are not a customer talking to the business: they get no reply unless a rule
# names their type.
QUIET_TYPES = frozenset({"system", "reaction", "unsupported"})


@dataclass(frozen=True)
class Rule:
    """Fires when any trigger matches; ``types``, when set, also limits the message types."""

    name: str
    reply: ReplyTemplate
    keywords: tuple[re.Pattern[str], ...] = ()
    exact: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern[str], ...] = ()
    payloads: frozenset[str] = frozenset()
    reply_ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    case_sensitive: bool = False

    @property
    def filter(self) -> f.Filter:
        """Which messages this rule answers, as one router filter: the type limit (or, without
        ``types``, anything but the quiet types) and any of the triggers."""
        kinds = f.message_type(*self.types) if self.types else ~f.message_type(*QUIET_TYPES)
        triggers = self._triggers()
        if not triggers:
            return kinds
        return kinds & functools.reduce(operator.or_, triggers)

    def _triggers(self) -> list[f.Filter]:
        found: list[f.Filter] = []
        if self.exact:
            exact = self.exact
            found.append(f.Predicate(lambda m: self._fold((m.text or "").strip()) in exact,
                                     f"exact({', '.join(map(repr, sorted(exact)))})"))
        if self.keywords:
            found.append(_text_search(self.keywords, "keywords"))
        if self.patterns:
            found.append(_text_search(self.patterns, "regex"))
        if self.payloads:
            found.append(f.button.source("template") & f.button.id(*sorted(self.payloads)))
        if self.reply_ids:
            found.append(f.button.source("button", "list")
                         & f.button.id(*sorted(self.reply_ids)))
        return found

    def _fold(self, text: str) -> str:
        return text if self.case_sensitive else text.casefold()


def _text_search(patterns: tuple[re.Pattern[str], ...], label: str) -> f.Filter:
    """Any of ``patterns`` found in the message text (body, caption, title, emoji)."""
    def check(message: Message) -> bool:
        text = message.text
        if not text:
            return False
        return any(p.search(text) for p in patterns)
    return f.Predicate(check, f"{label}({', '.join(repr(p.pattern) for p in patterns)})")


def compile_rule(table: Mapping[str, Any], where: str) -> Rule:
    """A :class:`Rule` from its table as ``bot.config()`` gives it (checked against the schema,
    ``case_sensitive`` filled in); ``ValueError`` lists every problem."""
    case_sensitive = bool(table["case_sensitive"])
    flags = 0 if case_sensitive else re.IGNORECASE
    problems = [f"{where}.{key}[{i}]: {text!r} is blank"
                for key in ("keywords", "exact") for i, text in enumerate(table.get(key, ()))
                if not text.strip()]
    patterns: list[re.Pattern[str]] = []
    for i, source in enumerate(table.get("regex", ())):
        try:
            patterns.append(re.compile(source, flags))
        except re.error as exc:
            problems.append(f"{where}.regex[{i}]: invalid regular expression {source!r}: {exc}")
    reply: ReplyTemplate | None = None
    try:
        reply = ReplyTemplate(table["reply"], f"{where}.reply")
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError("\n".join(problems))
    assert reply is not None
    fold: Callable[[str], str] = str if case_sensitive else str.casefold
    return Rule(
        name=str(table.get("name") or where),
        reply=reply,
        keywords=tuple(keyword_pattern(k, flags) for k in table.get("keywords", ())),
        exact=frozenset(fold(text.strip()) for text in table.get("exact", ())),
        patterns=tuple(patterns),
        payloads=frozenset(table.get("payloads", ())),
        reply_ids=frozenset(table.get("reply_ids", ())),
        types=frozenset(table.get("types", ())),
        case_sensitive=case_sensitive,
    )


def keyword_pattern(keyword: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """Whole words only: ``price`` matches "the price?" but not "priceless"; the words of a
    phrase may be separated by any whitespace."""
    words = r"\s+".join(re.escape(word) for word in keyword.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", flags)
