"""Filters on taps: reply buttons, list rows and template quick-reply buttons.

All three arrive as messages carrying the id the business gave the button (for a template
button: its payload); these filters match on that id. Typed ids come from
:class:`~botkit.routing.callback_data.CallbackData` classes: ``f.button.data(Size, choice="l")``
is the same filter as ``Size.filter(choice="l")``.
"""

from __future__ import annotations

from typing import Any

from ._classify import tap_id, tap_source
from .callback_data import CallbackData
from .filters_base import Filter, Predicate

TAP_SOURCES = ("button", "list", "template")


class ButtonFilters:
    """``f.button``: what was tapped."""

    @staticmethod
    def any() -> Filter:
        """Any tap on a reply button, list row or template quick-reply button."""
        return Predicate(lambda event: tap_id(event) is not None, "button.any()")

    @staticmethod
    def id(*ids: str) -> Filter:
        """The tapped id is exactly one of ``ids``."""
        if not ids:
            raise ValueError("button.id() needs at least one id")
        wanted = frozenset(ids)
        return Predicate(lambda event: tap_id(event) in wanted,
                         f"button.id({', '.join(map(repr, ids))})")

    @staticmethod
    def prefix(*prefixes: str) -> Filter:
        """The tapped id starts with one of ``prefixes``; the handler gets ``suffix``, the rest
        of the id after the prefix that matched (the longest one)."""
        if not prefixes or not all(prefixes):
            raise ValueError("button.prefix() needs non-empty prefixes")
        ordered = sorted(prefixes, key=len, reverse=True)

        def check(event: Any) -> dict[str, Any] | None:
            tapped = tap_id(event)
            if tapped is None:
                return None
            found = next((p for p in ordered if tapped.startswith(p)), None)
            return None if found is None else {"suffix": tapped[len(found):]}
        return Predicate(check, f"button.prefix({', '.join(map(repr, prefixes))})")

    @staticmethod
    def source(*sources: str) -> Filter:
        """Where the tap came from: ``"button"`` (a reply button of an interactive message),
        ``"list"`` (a list row) or ``"template"`` (a template's quick-reply button)."""
        unknown = [s for s in sources if s not in TAP_SOURCES]
        if not sources or unknown:
            raise ValueError(f"button.source() takes one or more of {', '.join(TAP_SOURCES)}")
        wanted = frozenset(sources)
        return Predicate(lambda event: tap_source(event) in wanted,
                         f"button.source({', '.join(map(repr, sources))})")

    @staticmethod
    def data(cls: type[CallbackData], **rules: Any) -> Filter:
        """A tap on a typed id of ``cls`` whose fields match ``rules`` (see
        :meth:`CallbackData.filter`); the handler gets ``callback_data``."""
        return cls.filter(**rules)


button = ButtonFilters()

__all__ = ["TAP_SOURCES", "ButtonFilters", "button"]
