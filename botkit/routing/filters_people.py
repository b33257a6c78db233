"""Filters on who is involved: the customer, the business number, the customer's country.

Phone numbers may be written the way people write them (``"+49 1555 0123456"``): everything
but the digits is dropped before comparing. Business-scoped user ids (``"US.1349..."``) are
compared as they are.
"""

from __future__ import annotations

import re
from typing import Any

from botkit.events import Contact, Message

from .calling_codes import CALLING_CODES, COUNTRIES, calling_code_of, country_of
from .filters_base import Filter, Predicate

_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")


class UnknownCountry(ValueError):
    """A country code that is not an ISO 3166-1 alpha-2 code of a country with phones."""


class UnknownCallingCode(ValueError):
    """A calling code that no country or international service has."""


def normal_id(value: str) -> str:
    """A wa_id or phone number as digits only; a user id unchanged."""
    value = value.strip()
    return re.sub(r"\D", "", value) if _PHONE_LIKE.match(value) else value


def customer_ids(event: Any) -> tuple[str, ...]:
    """The customer's wa_id and user id as far as the event tells them."""
    if isinstance(event, Message):
        ids = (event.sender, event.sender_user_id)
    elif isinstance(event, Contact):
        ids = (event.wa_id, event.user_id)
    else:
        return ()
    return tuple(i for i in ids if i)


def sender(*ids: str) -> Filter:
    """A message from (or a contact event about) one of ``ids``: wa_ids, phone numbers or
    business-scoped user ids."""
    if not ids:
        raise ValueError("sender() needs at least one wa_id or user id")
    wanted = frozenset(normal_id(i) for i in ids)
    return Predicate(lambda event: any(i in wanted for i in customer_ids(event)),
                     f"sender({', '.join(map(repr, ids))})")


def business_number(*numbers: str) -> Filter:
    """An event for one of the business's numbers, given as ``phone_number_id`` or as the
    display number (``"+1 555-123-4567"``)."""
    if not numbers:
        raise ValueError("business_number() needs at least one phone_number_id or number")
    wanted = frozenset(normal_id(n) for n in numbers)

    def check(event: Any) -> bool:
        pid = getattr(event, "phone_number_id", None)
        display = getattr(event, "display_phone_number", None)
        return (pid in wanted) or (isinstance(display, str) and normal_id(display) in wanted)
    return Predicate(check, f"business_number({', '.join(map(repr, numbers))})")


def _wa_id(event: Any) -> str | None:
    if isinstance(event, Message):
        return event.sender
    if isinstance(event, Contact):
        return event.wa_id
    return None


def country(*countries: str) -> Filter:
    """The customer's number is from one of ``countries`` (ISO codes such as ``"DE"``,
    ``"CA"``), judged by its calling code and, where countries share one, its area code.
    The handler gets ``country``. Customers known only by a user id never match."""
    if not countries:
        raise ValueError("country() needs at least one ISO country code")
    wanted = frozenset(c.upper() for c in countries)
    unknown = sorted(wanted - COUNTRIES)
    if unknown:
        hint = " (the United Kingdom is 'GB')" if "UK" in unknown else ""
        raise UnknownCountry(f"unknown country code {unknown[0]!r}{hint}; use ISO 3166-1 "
                             "alpha-2 codes such as 'DE' or 'US'")

    def check(event: Any) -> dict[str, Any] | None:
        wa_id = _wa_id(event)
        found = country_of(wa_id) if wa_id else None
        return {"country": found} if found in wanted else None
    return Predicate(check, f"country({', '.join(map(repr, countries))})")


def calling_code(*codes: str) -> Filter:
    """The customer's number starts with one of the calling ``codes`` (``"49"``, ``"+1"``).
    The handler gets ``calling_code``."""
    if not codes:
        raise ValueError("calling_code() needs at least one calling code")
    wanted = frozenset(c.strip().removeprefix("+") for c in codes)
    unknown = sorted(wanted - CALLING_CODES)
    if unknown:
        raise UnknownCallingCode(f"{unknown[0]!r} is not a country calling code")

    def check(event: Any) -> dict[str, Any] | None:
        wa_id = _wa_id(event)
        found = calling_code_of(wa_id) if wa_id else None
        return {"calling_code": found} if found in wanted else None
    return Predicate(check, f"calling_code({', '.join(map(repr, codes))})")


__all__ = ["UnknownCallingCode", "UnknownCountry", "business_number", "calling_code", "country",
           "customer_ids", "normal_id", "sender"]
