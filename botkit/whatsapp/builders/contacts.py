"""Contact cards (``contacts``): one message carrying one or more people or businesses.

Each card needs a ``formatted_name`` and at least one other part of the name (Meta's rule);
a phone's ``wa_id`` adds the "Message" and "Add to contacts" buttons in WhatsApp.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, ClassVar

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import InvalidContact

_BIRTHDAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _plain(part: Any) -> dict[str, Any]:
    """A card part's non-empty fields, in declaration order."""
    return {f.name: getattr(part, f.name) for f in fields(part)
            if getattr(part, f.name) is not None}


def _checked_strings(part: Any, what: str) -> None:
    values = [getattr(part, f.name) for f in fields(part)]
    if all(value is None for value in values):
        raise InvalidContact(what, "needs at least one value")
    for f in fields(part):
        check.optional_text(getattr(part, f.name), f"{what} {f.name}")


@dataclass(frozen=True, slots=True)
class ContactPhone:
    phone: str | None = None
    type: str | None = None
    wa_id: str | None = None

    def __post_init__(self) -> None:
        _checked_strings(self, "contact phone")


@dataclass(frozen=True, slots=True)
class ContactEmail:
    email: str | None = None
    type: str | None = None

    def __post_init__(self) -> None:
        _checked_strings(self, "contact email")


@dataclass(frozen=True, slots=True)
class ContactUrl:
    url: str | None = None
    type: str | None = None

    def __post_init__(self) -> None:
        _checked_strings(self, "contact url")


@dataclass(frozen=True, slots=True)
class ContactAddress:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    type: str | None = None

    def __post_init__(self) -> None:
        _checked_strings(self, "contact address")


@dataclass(frozen=True, slots=True)
class ContactOrg:
    company: str | None = None
    department: str | None = None
    title: str | None = None

    def __post_init__(self) -> None:
        _checked_strings(self, "contact org")


@dataclass(frozen=True, slots=True)
class ContactCard:
    """One person or business: the name, and any phones, emails, URLs, addresses, the
    organisation and a birthday (``YYYY-MM-DD``)."""

    formatted_name: str
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    phones: Sequence[ContactPhone] = ()
    emails: Sequence[ContactEmail] = ()
    urls: Sequence[ContactUrl] = ()
    addresses: Sequence[ContactAddress] = ()
    org: ContactOrg | None = None
    birthday: str | None = None

    _NAME_PARTS: ClassVar[tuple[str, ...]] = ("first_name", "last_name", "middle_name",
                                              "prefix", "suffix")

    def __post_init__(self) -> None:
        check.text(self.formatted_name, "contact formatted_name")
        for part in self._NAME_PARTS:
            check.optional_text(getattr(self, part), f"contact {part}")
        if all(getattr(self, part) is None for part in self._NAME_PARTS):
            raise InvalidContact(f"contact {self.formatted_name!r}", "needs a first_name, "
                                 "last_name, middle_name, prefix or suffix besides "
                                 "formatted_name")
        for name, kind in (("phones", ContactPhone), ("emails", ContactEmail),
                           ("urls", ContactUrl), ("addresses", ContactAddress)):
            items = tuple(getattr(self, name))
            if not all(isinstance(item, kind) for item in items):
                raise InvalidContact(f"contact {name}", f"must be {kind.__name__} objects")
            object.__setattr__(self, name, items)
        if self.org is not None and not isinstance(self.org, ContactOrg):
            raise InvalidContact("contact org", "must be a ContactOrg")
        if self.birthday is not None:
            _check_birthday(self.birthday)

    def to_dict(self) -> dict[str, Any]:
        card: dict[str, Any] = {}
        if self.addresses:
            card["addresses"] = [_plain(a) for a in self.addresses]
        if self.birthday is not None:
            card["birthday"] = self.birthday
        if self.emails:
            card["emails"] = [_plain(e) for e in self.emails]
        name = {"formatted_name": self.formatted_name}
        name.update({p: getattr(self, p) for p in self._NAME_PARTS
                     if getattr(self, p) is not None})
        card["name"] = name
        if self.org is not None:
            card["org"] = _plain(self.org)
        if self.phones:
            card["phones"] = [_plain(p) for p in self.phones]
        if self.urls:
            card["urls"] = [_plain(u) for u in self.urls]
        return card


def _check_birthday(value: Any) -> None:
    if not isinstance(value, str) or not _BIRTHDAY.fullmatch(value):
        raise InvalidContact("contact birthday", f"must be YYYY-MM-DD, got {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise InvalidContact("contact birthday", f"is not a date: {value!r}") from None


@dataclass(frozen=True, slots=True)
class Contacts(MessageBuilder):
    """Contact cards, one message: ``Contacts([ContactCard(...), ...])``."""

    cards: Sequence[ContactCard]

    def __post_init__(self) -> None:
        cards = tuple(self.cards)
        if not cards:
            raise InvalidContact("contacts", "need at least one card")
        if not all(isinstance(card, ContactCard) for card in cards):
            raise InvalidContact("contacts", "must be ContactCard objects")
        object.__setattr__(self, "cards", cards)

    def to_body(self) -> dict[str, Any]:
        return {"type": "contacts", "contacts": [card.to_dict() for card in self.cards]}
