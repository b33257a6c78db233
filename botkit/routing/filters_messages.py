"""Filters on the kind of message: its type, media, reactions, locations, orders, Flows.

Each matches inbound messages only; on statuses, contacts and other events they never match.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from botkit.events import Message

from ._classify import flow_response
from .filters_base import Filter, Predicate

MEDIA_KINDS = ("image", "video", "audio", "voice", "document", "sticker")


class UnknownMediaKind(ValueError):
    """``media()`` was asked for a kind of media that WhatsApp does not have."""


def message_type(*types: str) -> Filter:
    """The message's ``type`` is one of ``types`` (``"text"``, ``"image"``, ``"interactive"``,
    ``"order"``, ... including types botkit does not know yet)."""
    if not types:
        raise ValueError("message_type() needs at least one type")
    wanted = frozenset(types)
    return Predicate(lambda event: isinstance(event, Message) and event.type in wanted,
                     f"message_type({', '.join(map(repr, types))})")


def media_kind(event: Any) -> str | None:
    """The media kind of a message, telling voice notes from audio files (``None``: no media).

    A voice note is audio with ``voice: true``; when Meta leaves ``voice`` out, an Ogg audio
    (what WhatsApp records voice notes in) counts as a voice note.
    """
    if not isinstance(event, Message) or event.type not in MEDIA_KINDS:
        return None
    if event.type != "audio":
        return event.type
    voice = event.content.get("voice")
    if voice is None:
        voice = str(event.content.get("mime_type", "")).startswith("audio/ogg")
    return "voice" if voice else "audio"


def media(*kinds: str) -> Filter:
    """An image, video, audio file, voice note, document or sticker (any of them when no kinds
    are given). The handler gets ``media_id`` and ``mime_type``."""
    unknown = [kind for kind in kinds if kind not in MEDIA_KINDS]
    if unknown:
        raise UnknownMediaKind(f"unknown media kind {unknown[0]!r}; expected one of "
                               f"{', '.join(MEDIA_KINDS)}")
    wanted = frozenset(kinds or MEDIA_KINDS)

    def check(event: Any) -> dict[str, Any] | None:
        kind = media_kind(event)
        if kind not in wanted:
            return None
        return {"media_id": event.content.get("id"), "mime_type": event.content.get("mime_type")}
    return Predicate(check, f"media({', '.join(map(repr, kinds))})")


def _reaction(event: Any) -> tuple[str | None, str | None] | None:
    """(emoji or None when removed, wamid reacted to) of a reaction message."""
    if not isinstance(event, Message) or event.type != "reaction":
        return None
    emoji = event.content.get("emoji")
    target = event.content.get("message_id")
    return (emoji if isinstance(emoji, str) and emoji else None,
            target if isinstance(target, str) else None)


class ReactionFilters:
    """``f.reaction``: a customer reacted to a message, or took a reaction back.

    Each gives the handler ``reacted_to``: the wamid of the message reacted to. A removal
    arrives with no emoji (or an empty one in older payloads).
    """

    @staticmethod
    def any() -> Filter:
        """Any reaction, added or removed."""
        def check(event: Any) -> dict[str, Any] | None:
            found = _reaction(event)
            return None if found is None else {"reacted_to": found[1]}
        return Predicate(check, "reaction.any()")

    @staticmethod
    def emoji(*emojis: str) -> Filter:
        """A reaction with one of ``emojis`` (any emoji when none are given)."""
        wanted = frozenset(emojis)

        def check(event: Any) -> dict[str, Any] | None:
            found = _reaction(event)
            if found is None or found[0] is None or (wanted and found[0] not in wanted):
                return None
            return {"reacted_to": found[1]}
        return Predicate(check, f"reaction.emoji({', '.join(map(repr, emojis))})")

    @staticmethod
    def removed() -> Filter:
        """A reaction taken back."""
        def check(event: Any) -> dict[str, Any] | None:
            found = _reaction(event)
            return {"reacted_to": found[1]} if found is not None and found[0] is None else None
        return Predicate(check, "reaction.removed()")


reaction = ReactionFilters()

EARTH_RADIUS_KM = 6371.0088


def location(*, near: tuple[float, float] | None = None, radius_km: float | None = None
             ) -> Filter:
    """A shared location; with ``near=(latitude, longitude)`` and ``radius_km`` only within
    that distance (great-circle). The handler gets ``latitude`` and ``longitude``."""
    if (near is None) != (radius_km is None):
        raise ValueError("location() takes near=(latitude, longitude) and radius_km together")
    if radius_km is not None and radius_km < 0:
        raise ValueError(f"radius_km must not be negative, got {radius_km}")

    def check(event: Any) -> dict[str, Any] | None:
        if not isinstance(event, Message) or event.type != "location":
            return None
        lat, lon = event.content.get("latitude"), event.content.get("longitude")
        if not isinstance(lat, int | float) or not isinstance(lon, int | float) or (
                isinstance(lat, bool) or isinstance(lon, bool)):
            return None
        if near is not None and radius_km is not None and (
                distance_km((float(lat), float(lon)), near) > radius_km):
            return None
        return {"latitude": lat, "longitude": lon}
    shown = "" if near is None else f"near={near!r}, radius_km={radius_km!r}"
    return Predicate(check, f"location({shown})")


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def order(*, catalog_id: str | None = None, product: str | None = None) -> Filter:
    """A catalog order; optionally from one catalog, or holding one product (by its retailer
    id). The handler gets ``order_items``: the ordered products as Meta sent them."""
    def check(event: Any) -> dict[str, Any] | None:
        if not isinstance(event, Message) or event.type != "order":
            return None
        if catalog_id is not None and event.content.get("catalog_id") != catalog_id:
            return None
        raw_items = event.content.get("product_items")
        items = tuple(i for i in raw_items if isinstance(i, Mapping)) \
            if isinstance(raw_items, list) else ()
        if product is not None and not any(i.get("product_retailer_id") == product
                                           for i in items):
            return None
        return {"order_items": items}
    shown = ", ".join(f"{k}={v!r}" for k, v in (("catalog_id", catalog_id),
                                                 ("product", product)) if v is not None)
    return Predicate(check, f"order({shown})")


def flow_completion(*, token_prefix: str | None = None) -> Filter:
    """A finished WhatsApp Flow; with ``token_prefix`` only Flows whose ``flow_token`` starts
    with it. The handler gets ``response`` (the answers, decoded) and ``flow_token``. A
    completion whose ``response_json`` is not a JSON object does not match."""
    def check(event: Any) -> dict[str, Any] | None:
        response = flow_response(event)
        if response is None:
            return None
        token = response.get("flow_token")
        token = token if isinstance(token, str) else None
        if token_prefix is not None and (token is None or not token.startswith(token_prefix)):
            return None
        return {"response": response, "flow_token": token}
    shown = "" if token_prefix is None else f"token_prefix={token_prefix!r}"
    return Predicate(check, f"flow_completion({shown})")


__all__ = ["MEDIA_KINDS", "ReactionFilters", "UnknownMediaKind", "distance_km", "flow_completion",
           "location", "media", "media_kind", "message_type", "order", "reaction"]
