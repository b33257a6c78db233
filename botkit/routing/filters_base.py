"""Filters: small predicates over events, composed with ``&``, ``|`` and ``~``.

A filter answers "does this handler want this event?" and may hand the handler data it found
while looking (a regex match, a decoded button id). Any callable ``(event) -> bool | dict`` is
a filter too, sync or ``async``, so a one-off rule needs no class.

Results: ``False`` or ``None`` means no match; ``True`` (or any other true value) a match with
no data; a mapping a match whose items the handler receives by parameter name.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeAlias

FilterResult: TypeAlias = bool | Mapping[str, Any] | None
FilterLike: TypeAlias = "Filter | Callable[[Any], Any]"


class NotAFilter(TypeError):
    """Something that is neither a :class:`Filter` nor a callable was given as a filter."""


class Filter:
    """Base class of filters. Subclasses implement :meth:`check`; compose with ``& | ~``."""

    def check(self, event: Any) -> FilterResult | Awaitable[FilterResult]:
        """Whether ``event`` matches, and any data for the handler (see the module docstring)."""
        raise NotImplementedError

    async def evaluate(self, event: Any) -> dict[str, Any] | None:
        """The data of a match (``{}`` when there is none), or ``None`` for no match."""
        return _as_data(await _resolve(self.check(event)))

    def __and__(self, other: FilterLike) -> Filter:
        return AllOf(self, as_filter(other))

    def __rand__(self, other: FilterLike) -> Filter:
        return AllOf(as_filter(other), self)

    def __or__(self, other: FilterLike) -> Filter:
        return AnyOf(self, as_filter(other))

    def __ror__(self, other: FilterLike) -> Filter:
        return AnyOf(as_filter(other), self)

    def __invert__(self) -> Filter:
        return Not(self)


class Predicate(Filter):
    """A filter made of a function and the words that describe it (shown by ``repr``)."""

    def __init__(self, function: Callable[[Any], Any], description: str) -> None:
        self._function = function
        self._description = description

    def check(self, event: Any) -> Any:
        return self._function(event)

    def __repr__(self) -> str:
        return self._description


class AllOf(Filter):
    """Matches when every part matches; their data is merged (later parts win on a clash)."""

    parts: tuple[Filter, ...]

    def __init__(self, *parts: Filter) -> None:
        flat: list[Filter] = []
        for part in parts:
            flat.extend(part.parts if isinstance(part, AllOf) else (part,))
        self.parts = tuple(flat)

    async def evaluate(self, event: Any) -> dict[str, Any] | None:
        merged: dict[str, Any] = {}
        for part in self.parts:
            data = await part.evaluate(event)
            if data is None:
                return None
            merged.update(data)
        return merged

    def check(self, event: Any) -> Awaitable[dict[str, Any] | None]:
        return self.evaluate(event)

    def __repr__(self) -> str:
        return "(" + " & ".join(map(repr, self.parts)) + ")"


class AnyOf(Filter):
    """Matches when some part matches, trying them in order; the first match's data wins."""

    parts: tuple[Filter, ...]

    def __init__(self, *parts: Filter) -> None:
        flat: list[Filter] = []
        for part in parts:
            flat.extend(part.parts if isinstance(part, AnyOf) else (part,))
        self.parts = tuple(flat)

    async def evaluate(self, event: Any) -> dict[str, Any] | None:
        for part in self.parts:
            data = await part.evaluate(event)
            if data is not None:
                return data
        return None

    def check(self, event: Any) -> Awaitable[dict[str, Any] | None]:
        return self.evaluate(event)

    def __repr__(self) -> str:
        return "(" + " | ".join(map(repr, self.parts)) + ")"


class Not(Filter):
    """Matches when the inner filter does not; gives no data."""

    def __init__(self, inner: Filter) -> None:
        self.inner = inner

    async def evaluate(self, event: Any) -> dict[str, Any] | None:
        return {} if await self.inner.evaluate(event) is None else None

    def check(self, event: Any) -> Awaitable[dict[str, Any] | None]:
        return self.evaluate(event)

    def __invert__(self) -> Filter:
        return self.inner

    def __repr__(self) -> str:
        return f"~{self.inner!r}"


class CallableFilter(Filter):
    """A plain function (sync or async) used as a filter."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    def check(self, event: Any) -> Any:
        return self.function(event)

    def __repr__(self) -> str:
        return getattr(self.function, "__qualname__", repr(self.function))


def as_filter(value: FilterLike) -> Filter:
    """``value`` as a :class:`Filter`: filters as they are, callables wrapped."""
    if isinstance(value, Filter):
        return value
    if callable(value):
        return CallableFilter(value)
    raise NotAFilter(f"a filter must be a Filter or a callable (event) -> bool | dict, "
                     f"got {type(value).__name__}")


def all_of(filters: tuple[FilterLike, ...]) -> Filter | None:
    """The filters of a handler as one filter (``None`` when there are none: always matches)."""
    converted = [as_filter(item) for item in filters]
    if not converted:
        return None
    return converted[0] if len(converted) == 1 else AllOf(*converted)


async def _resolve(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


def _as_data(result: Any) -> dict[str, Any] | None:
    if result is None or result is False:
        return None
    if isinstance(result, Mapping):
        return dict(result)
    return {} if result else None


__all__ = [
    "AllOf",
    "AnyOf",
    "CallableFilter",
    "Filter",
    "FilterLike",
    "FilterResult",
    "Not",
    "NotAFilter",
    "Predicate",
    "all_of",
    "as_filter",
]
