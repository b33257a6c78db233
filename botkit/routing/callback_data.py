"""Typed button ids: declare what a button carries once, get it back typed when it is tapped.

::

    class Size(CallbackData, prefix="size"):
        choice: str
        qty: int = 1

    Size(choice="l", qty=2).pack()          # "size:l:2", the id of a reply button
    Size.unpack("size:l:2")                 # Size(choice='l', qty=2)

    @router.button(Size.filter(choice="l"))
    def large(message, callback_data: Size): ...

An id is the prefix and the field values joined by ``:``, each value escaped so that it cannot
contain the separator. Ids come back from the customer's phone, so they are untrusted: an id
that does not decode exactly (another prefix, missing or extra fields, a value of the wrong
type, a non-canonical spelling, a bad signature) raises :class:`InvalidCallbackData`, and the
filter simply does not match. Signed classes append a short HMAC so that ids cannot be forged.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import os
import sys
import typing
from collections.abc import Collection
from typing import Any, ClassVar, TypeVar, dataclass_transform

from ._callback_codecs import Codec, codec_for
from ._classify import tap_id
from .filters_base import Filter, Predicate

BUTTON_ID_LIMIT = 256  # characters in a reply button's id
LIST_ROW_ID_LIMIT = 200  # characters in a list row's id
SEPARATOR = ":"
_SIGNATURE_BYTES = 9  # 72 bits, 12 characters of base64url
_FORBIDDEN_IN_PREFIX = frozenset(":%~")

T = TypeVar("T", bound="CallbackData")


class CallbackDataError(ValueError):
    """Base class of callback data errors."""


class CallbackDataTooLong(CallbackDataError):
    """The packed id is longer than WhatsApp allows where it is used."""


class InvalidCallbackData(CallbackDataError):
    """An id that is not a valid packed value of this class (never a customer's text)."""


class InvalidCallbackValue(CallbackDataError, TypeError):
    """A field was given a value of the wrong type."""


class SigningKeyMissing(RuntimeError):
    """A signed class has no key: its environment variable is unset or no key was set."""


@dataclass_transform(kw_only_default=True, frozen_default=True)
class CallbackData:
    """Base class of typed button ids; subclass it with ``prefix=`` and annotated fields.

    Class keywords: ``prefix`` (required; no ``:``, ``%`` or ``~``), ``secret_env`` (sign ids
    with the key in that environment variable) or ``signed=True`` (sign with a key given at
    start-up through :meth:`use_signing_key`).
    """

    __prefix__: ClassVar[str]
    __codecs__: ClassVar[dict[str, Codec]]
    __secret_env__: ClassVar[str | None] = None
    __signed__: ClassVar[bool] = False
    __fingerprint__: ClassVar[bytes]
    _signing_key: ClassVar[bytes | None] = None

    def __init_subclass__(cls, *, prefix: str, secret_env: str | None = None,
                          signed: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(prefix, str) or not prefix or _FORBIDDEN_IN_PREFIX & set(prefix):
            raise CallbackDataError(f"{cls.__name__}: prefix must be a non-empty string "
                                    f"without ':', '%' or '~', got {prefix!r}")
        cls.__prefix__ = prefix
        cls.__secret_env__ = secret_env
        cls.__signed__ = signed or secret_env is not None
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        caller = sys._getframe(1).f_locals
        hints = typing.get_type_hints(cls, localns=dict(caller))
        cls.__codecs__ = {field.name: codec_for(hints[field.name], f"{cls.__name__}.{field.name}")
                          for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        shape = ";".join(f"{name}={codec.type_name}" for name, codec in cls.__codecs__.items())
        cls.__fingerprint__ = f"{prefix}\x00{shape}".encode()

    def __post_init__(self) -> None:
        for name, codec in self.__codecs__.items():
            value = getattr(self, name)
            if not codec.accepts(value):
                raise InvalidCallbackValue(f"{type(self).__name__}.{name} takes "
                                           f"{codec.type_name}, got {type(value).__name__}")
            object.__setattr__(self, name, codec.coerce(value))

    # -- packing ---------------------------------------------------------------------------

    def pack(self) -> str:
        """The id for a reply button (at most 256 characters) or a template quick reply."""
        return self._checked(BUTTON_ID_LIMIT, "a reply button id")

    def pack_for_list(self) -> str:
        """The id for a list row (at most 200 characters)."""
        return self._checked(LIST_ROW_ID_LIMIT, "a list row id")

    def button(self, title: str) -> dict[str, Any]:
        """A reply button for an interactive ``button`` message's ``action.buttons``."""
        return {"type": "reply", "reply": {"id": self.pack(), "title": title}}

    def row(self, title: str, description: str | None = None) -> dict[str, Any]:
        """A row for a list message's ``sections[].rows``."""
        row = {"id": self.pack_for_list(), "title": title}
        if description is not None:
            row["description"] = description
        return row

    def _checked(self, limit: int, where: str) -> str:
        packed = self._packed()
        if len(packed) > limit:
            raise CallbackDataTooLong(f"{type(self).__name__} packs to {len(packed)} characters; "
                                      f"{where} may be at most {limit}")
        return packed

    def _packed(self) -> str:
        parts = [self.__prefix__]
        parts += [codec.encode(getattr(self, name)) for name, codec in self.__codecs__.items()]
        payload = SEPARATOR.join(parts)
        if self.__signed__:
            payload += SEPARATOR + type(self)._signature(payload)
        return payload

    # -- unpacking -------------------------------------------------------------------------

    @classmethod
    def unpack(cls: type[T], packed: str) -> T:
        """The value a packed id stands for; :class:`InvalidCallbackData` if it is not one."""
        if not isinstance(packed, str) or len(packed) > BUTTON_ID_LIMIT:
            raise InvalidCallbackData(f"not a {cls.__name__} id: not a string of at most "
                                      f"{BUTTON_ID_LIMIT} characters")
        parts = packed.split(SEPARATOR)
        if parts[0] != cls.__prefix__:
            raise InvalidCallbackData(f"not a {cls.__name__} id: the prefix is not "
                                      f"{cls.__prefix__!r}")
        expected = 1 + len(cls.__codecs__) + (1 if cls.__signed__ else 0)
        if len(parts) != expected:
            raise InvalidCallbackData(f"not a {cls.__name__} id: {len(parts)} parts, expected "
                                      f"{expected}")
        if cls.__signed__:
            payload, signature = packed.rpartition(SEPARATOR)[::2]
            if not hmac.compare_digest(signature.encode(), cls._signature(payload).encode()):
                raise InvalidCallbackData(f"not a {cls.__name__} id: the signature does not "
                                          "match")
        values = {}
        for (name, codec), text in zip(cls.__codecs__.items(), parts[1:], strict=False):
            try:
                values[name] = codec.decode(text)
            except ValueError:
                raise InvalidCallbackData(f"not a {cls.__name__} id: field {name!r} is not a "
                                          f"valid {codec.type_name}") from None
        value = cls(**values)
        if value._packed() != packed:
            raise InvalidCallbackData(f"not a {cls.__name__} id: not in canonical form")
        return value

    @classmethod
    def filter(cls, **rules: Any) -> Filter:
        """Matches taps on ids of this class whose fields equal ``rules`` (a set, list or tuple
        means "one of"). The handler gets the decoded value as ``callback_data``."""
        unknown = sorted(set(rules) - set(cls.__codecs__))
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {unknown[0]!r} to filter on "
                            f"(fields: {', '.join(cls.__codecs__) or 'none'})")

        def check(event: Any) -> dict[str, Any] | None:
            packed = tap_id(event)
            if packed is None:
                return None
            try:
                value = cls.unpack(packed)
            except InvalidCallbackData:
                return None
            for name, rule in rules.items():
                if not _satisfies(getattr(value, name), rule):
                    return None
            return {"callback_data": value}
        shown = ", ".join(f"{k}={v!r}" for k, v in rules.items())
        return Predicate(check, f"{cls.__name__}.filter({shown})")

    # -- signing ---------------------------------------------------------------------------

    @classmethod
    def use_signing_key(cls, key: str | bytes) -> None:
        """Sign ids of this class (on ``CallbackData``: of every signed class without a key of
        its own) with ``key``; call it at start-up, before ids are packed or checked."""
        raw = key.encode() if isinstance(key, str) else bytes(key)
        if len(raw) < 16:
            raise ValueError("a signing key needs at least 16 bytes")
        cls._signing_key = raw

    @classmethod
    def _key(cls) -> bytes:
        if cls.__secret_env__ is not None:
            secret = os.environ.get(cls.__secret_env__)
            if not secret:
                raise SigningKeyMissing(f"{cls.__name__} ids are signed with the key in "
                                        f"${cls.__secret_env__}, which is not set")
            return secret.encode()
        if cls._signing_key is None:
            raise SigningKeyMissing(f"{cls.__name__} ids are signed but no key was set; call "
                                    f"{cls.__name__}.use_signing_key(key) at start-up")
        return cls._signing_key

    @classmethod
    def _signature(cls, payload: str) -> str:
        message = cls.__fingerprint__ + b"\x00" + payload.encode()
        digest = hmac.new(cls._key(), message, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode()


def _satisfies(value: Any, rule: Any) -> bool:
    if isinstance(rule, Collection) and not isinstance(rule, str | bytes):
        return value in rule
    return bool(value == rule)


__all__ = ["BUTTON_ID_LIMIT", "LIST_ROW_ID_LIMIT", "CallbackData", "CallbackDataError",
           "CallbackDataTooLong", "InvalidCallbackData", "InvalidCallbackValue",
           "SigningKeyMissing"]
