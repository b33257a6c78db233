"""Reply rules: which inbound message a rule answers, compiled once when the bot starts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botkit import Message

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
    def has_triggers(self) -> bool:
        return bool(self.keywords or self.exact or self.patterns or self.payloads
                    or self.reply_ids)

    def matches(self, message: Message) -> bool:
        if self.types and message.type not in self.types:
            return False
        if not self.types and message.type in QUIET_TYPES:
            return False
        if not self.has_triggers:
            return True
        return self._text_matches(message.text) or self._choice_matches(message)

    def _text_matches(self, text: str | None) -> bool:
        if not text:
            return False
        if self.exact and self._fold(text.strip()) in self.exact:
            return True
        return any(p.search(text) for p in self.keywords) or any(
            p.search(text) for p in self.patterns)

    def _choice_matches(self, message: Message) -> bool:
        if message.reply_id is None:
            return False
        if message.type == "button":
            return message.reply_id in self.payloads
        if message.type == "interactive":
            return message.reply_id in self.reply_ids
        return False

    def _fold(self, text: str) -> str:
        return text if self.case_sensitive else text.casefold()


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
