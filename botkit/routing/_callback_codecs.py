"""How each field type of a :class:`~botkit.routing.callback_data.CallbackData` is written.

Every encoded value avoids the separator ``:`` and the "no value" marker ``~``: text escapes
``%``, ``:`` and ``~`` as ``%25``, ``%3A`` and ``%7E``; numbers, booleans and enum values have no
such characters. Decoding is strict, and the caller also checks that re-encoding gives the same
text, so each value has exactly one spelling.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NONE_MARK = "~"
_ESCAPES = {"%": "%25", ":": "%3A", "~": "%7E"}
_UNESCAPES = {code: char for char, code in _ESCAPES.items()}
_ESCAPE_CHARS = re.compile("[%:~]")
_ESCAPED = re.compile("%(25|3A|7E)")
_INT = re.compile(r"-?(0|[1-9][0-9]*)")


class UnsupportedFieldType(TypeError):
    """A callback data field has a type that cannot be packed into a button id."""


def escape(text: str) -> str:
    return _ESCAPE_CHARS.sub(lambda m: _ESCAPES[m.group()], text)


def unescape(text: str) -> str:
    if "%" in _ESCAPED.sub("", text) or ":" in text or NONE_MARK in text:
        raise ValueError("badly escaped text")
    return _ESCAPED.sub(lambda m: _UNESCAPES[m.group()], text)


def _int_from(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError("not an integer")
    return int(text)


def _bool_from(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("not 0 or 1")
    return text == "1"


def _float_from(text: str) -> float:
    if not text.isascii() or "_" in text or text != text.strip():
        raise ValueError("not a number")
    return float(text)


@dataclass(frozen=True, slots=True)
class Codec:
    """Encode, decode and check one field's values; ``type_name`` goes into signatures."""

    type_name: str
    accepts: Callable[[Any], bool]
    encode: Callable[[Any], str]
    decode: Callable[[str], Any]
    coerce: Callable[[Any], Any] = lambda value: value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_SCALARS: dict[Any, Codec] = {
    str: Codec("str", lambda v: isinstance(v, str), escape, unescape),
    int: Codec("int", _is_int, str, _int_from),
    bool: Codec("bool", lambda v: isinstance(v, bool), lambda v: "1" if v else "0", _bool_from),
    float: Codec("float", lambda v: isinstance(v, float) or _is_int(v),
                 lambda v: repr(float(v)), _float_from, float),
}


def _enum_codec(cls: type[enum.Enum]) -> Codec:
    values = [member.value for member in cls]
    if all(isinstance(v, str) for v in values):
        inner = _SCALARS[str]
    elif all(_is_int(v) for v in values):
        inner = _SCALARS[int]
    else:
        raise UnsupportedFieldType(f"enum {cls.__name__} needs all-str or all-int values to be "
                                   "packed into a button id")
    return Codec(f"enum:{cls.__qualname__}:{inner.type_name}",
                 lambda v: isinstance(v, cls), lambda v: inner.encode(v.value),
                 lambda text: cls(inner.decode(text)))


def _optional_codec(inner: Codec) -> Codec:
    return Codec(
        f"optional:{inner.type_name}",
        lambda v: v is None or inner.accepts(v),
        lambda v: NONE_MARK if v is None else inner.encode(v),
        lambda text: None if text == NONE_MARK else inner.decode(text),
        lambda v: None if v is None else inner.coerce(v),
    )


def codec_for(annotation: Any, where: str) -> Codec:
    """The codec of a field's type: str, int, bool, float, an Enum, or Optional of those."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return _optional_codec(codec_for(args[0], where))
    elif annotation in _SCALARS:
        return _SCALARS[annotation]
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_codec(annotation)
    raise UnsupportedFieldType(f"{where}: type {annotation!r} cannot be packed into a button id; "
                               "use str, int, bool, float, an Enum, or Optional of one")
