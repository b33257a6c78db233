"""Typed template parameters and buttons, each writing itself as Meta's parameter object.

Body parameters are :class:`Text` (a plain ``str`` works too), :class:`Currency` and
:class:`DateTime`; a header takes :class:`Text`, :class:`Image`, :class:`Video`,
:class:`Document` or :class:`Location`. Buttons are addressed by their position in the template:
:class:`UrlButton` (the dynamic end of the URL, or an authentication code), :class:`QuickReply`
(the payload the webhook brings back), :class:`CopyCode` and :class:`FlowButton`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

_NAME = re.compile(r"^[a-z0-9_]+$")


def _parameter_name(name: str | None) -> dict[str, Any]:
    if name is None:
        return {}
    if not _NAME.match(name):
        raise ValueError(f"a parameter name has lowercase letters, digits and '_', got {name!r}")
    return {"parameter_name": name}


@dataclass(frozen=True, slots=True)
class Text:
    """A text parameter; ``name`` is the placeholder's name in a named template."""

    text: str
    name: str | None = None
    kind: ClassVar[str] = "text"

    def to_parameter(self) -> dict[str, Any]:
        return {"type": "text", **_parameter_name(self.name), "text": self.text}


@dataclass(frozen=True, slots=True)
class Currency:
    """An amount: ``Currency("$12.50", "USD", 12500)``; ``amount_1000`` is the amount times
    1000, ``fallback_value`` what is shown where the amount cannot be localised."""

    fallback_value: str
    code: str
    amount_1000: int
    name: str | None = None
    kind: ClassVar[str] = "currency"

    def to_parameter(self) -> dict[str, Any]:
        currency = {"fallback_value": self.fallback_value, "code": self.code,
                    "amount_1000": self.amount_1000}
        return {"type": "currency", **_parameter_name(self.name), "currency": currency}


@dataclass(frozen=True, slots=True)
class DateTime:
    """A date and time, shown as ``fallback_value`` (the Cloud API does not localise it)."""

    fallback_value: str
    name: str | None = None
    kind: ClassVar[str] = "date_time"

    def to_parameter(self) -> dict[str, Any]:
        return {"type": "date_time", **_parameter_name(self.name),
                "date_time": {"fallback_value": self.fallback_value}}


@dataclass(frozen=True, slots=True)
class _Media:
    link: str | None = None
    id: str | None = None
    kind: ClassVar[str] = "media"

    def __post_init__(self) -> None:
        if (self.link is None) == (self.id is None):
            raise ValueError(f"a {self.kind} header takes either link= or id=, not "
                             f"{'both' if self.link else 'neither'}")

    def _object(self) -> dict[str, Any]:
        return {"link": self.link} if self.link is not None else {"id": self.id}

    def to_parameter(self) -> dict[str, Any]:
        return {"type": self.kind, self.kind: self._object()}


@dataclass(frozen=True, slots=True)
class Image(_Media):
    """An image header, by ``link`` (HTTPS URL) or uploaded media ``id``."""

    kind: ClassVar[str] = "image"


@dataclass(frozen=True, slots=True)
class Video(_Media):
    """A video header, by ``link`` or media ``id``."""

    kind: ClassVar[str] = "video"


@dataclass(frozen=True, slots=True)
class Document(_Media):
    """A document header, by ``link`` or media ``id``; ``filename`` is what the customer sees."""

    filename: str | None = None
    kind: ClassVar[str] = "document"

    def to_parameter(self) -> dict[str, Any]:
        document = self._object()
        if self.filename is not None:
            document["filename"] = self.filename
        return {"type": "document", "document": document}


@dataclass(frozen=True, slots=True)
class Location:
    """A location header."""

    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    kind: ClassVar[str] = "location"

    def to_parameter(self) -> dict[str, Any]:
        location: dict[str, Any] = {"latitude": self.latitude, "longitude": self.longitude}
        if self.name is not None:
            location["name"] = self.name
        if self.address is not None:
            location["address"] = self.address
        return {"type": "location", "location": location}


BodyParameter = str | Text | Currency | DateTime
HeaderParameter = Text | Image | Video | Document | Location


@dataclass(frozen=True, slots=True)
class _Button:
    index: int
    sub_type: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or not (
                0 <= self.index <= 9):
            raise ValueError(f"a button index is 0 to 9 (its position in the template), "
                             f"got {self.index!r}")

    def _parameters(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def to_component(self) -> dict[str, Any]:
        return {"type": "button", "sub_type": self.sub_type, "index": str(self.index),
                "parameters": self._parameters()}


@dataclass(frozen=True, slots=True)
class UrlButton(_Button):
    """The variable end of a URL button (``{{1}}`` in its URL), or the one-time code of an
    authentication template's copy-code button."""

    text: str
    sub_type: ClassVar[str] = "url"

    def _parameters(self) -> list[dict[str, Any]]:
        return [{"type": "text", "text": self.text}]


@dataclass(frozen=True, slots=True)
class QuickReply(_Button):
    """The payload a quick-reply button brings back in the ``button`` message webhook."""

    payload: str
    sub_type: ClassVar[str] = "quick_reply"

    def _parameters(self) -> list[dict[str, Any]]:
        return [{"type": "payload", "payload": self.payload}]


@dataclass(frozen=True, slots=True)
class CopyCode(_Button):
    """The coupon code a copy-code button copies (at most 15 characters)."""

    code: str
    sub_type: ClassVar[str] = "copy_code"

    def _parameters(self) -> list[dict[str, Any]]:
        return [{"type": "coupon_code", "coupon_code": self.code}]


@dataclass(frozen=True, slots=True)
class FlowButton(_Button):
    """A Flow button: the ``flow_token`` the Flow's requests carry (Meta's default is
    ``"unused"``) and data for the Flow's first screen."""

    flow_token: str = "unused"
    flow_action_data: Mapping[str, Any] | None = field(default=None)
    sub_type: ClassVar[str] = "flow"

    def _parameters(self) -> list[dict[str, Any]]:
        action: dict[str, Any] = {"flow_token": self.flow_token}
        if self.flow_action_data is not None:
            action["flow_action_data"] = dict(self.flow_action_data)
        return [{"type": "action", "action": action}]


Button = UrlButton | QuickReply | CopyCode | FlowButton
