"""Typed builders for every message a bot sends, checked against Meta's limits when built.

Each builder is an immutable object whose ``to_body()`` is the Cloud API message object; it is
also a read-only mapping of that object, so it goes wherever botkit takes a message::

    from botkit.whatsapp.builders import Buttons, Image

    await message.reply(Buttons("Which size?", [("s", "Small"), ("l", "Large")]))
    await message.reply(Image.from_file("menu.png", caption="Today's menu"))

Modules by theme: ``text`` (and splitting long texts), ``media`` (by id, link, or a local file
uploaded when sent), ``interactive`` (buttons, lists, URL button), ``requests`` (location and
call permission requests), ``carousel``, ``commerce`` (catalog, products), ``contacts``,
``location``, ``reaction``, ``flow``, ``template``; ``errors`` holds the named errors.
"""

from __future__ import annotations

from botkit.whatsapp.builders.base import MessageBuilder, body_of
from botkit.whatsapp.builders.carousel import Carousel, CarouselCard, UrlButton
from botkit.whatsapp.builders.commerce import Catalog, Product, ProductList, ProductSection
from botkit.whatsapp.builders.contacts import (
    ContactAddress,
    ContactCard,
    ContactEmail,
    ContactOrg,
    ContactPhone,
    Contacts,
    ContactUrl,
)
from botkit.whatsapp.builders.errors import (
    DuplicateId,
    EmptyMedia,
    EmptyText,
    InvalidContact,
    InvalidEmoji,
    InvalidFlow,
    InvalidHeader,
    InvalidId,
    InvalidLocation,
    InvalidMedia,
    InvalidMediaSource,
    InvalidUrl,
    MediaFileNotFound,
    MediaTooLarge,
    MessageBuildError,
    MismatchedCards,
    TextTooLong,
    TooFewItems,
    TooManyButtons,
    TooManyCards,
    TooManyItems,
    TooManyProducts,
    TooManyRows,
    TooManySections,
    UnknownMediaType,
    UnsupportedMediaType,
)
from botkit.whatsapp.builders.flow import FlowMessage
from botkit.whatsapp.builders.interactive import (
    Buttons,
    CtaUrl,
    ListMessage,
    ListRow,
    ListSection,
    ReplyButton,
)
from botkit.whatsapp.builders.location import Location
from botkit.whatsapp.builders.media import (
    Audio,
    Document,
    Image,
    LocalMedia,
    MediaId,
    MediaLink,
    MediaMessage,
    Sticker,
    Video,
    Voice,
)
from botkit.whatsapp.builders.reaction import Reaction
from botkit.whatsapp.builders.requests import CallPermissionRequest, LocationRequest
from botkit.whatsapp.builders.template import Template
from botkit.whatsapp.builders.text import TEXT_LIMIT, Text, message_bodies, split_text, texts

__all__ = [
    "TEXT_LIMIT",
    "Audio",
    "Buttons",
    "CallPermissionRequest",
    "Carousel",
    "CarouselCard",
    "Catalog",
    "ContactAddress",
    "ContactCard",
    "ContactEmail",
    "ContactOrg",
    "ContactPhone",
    "ContactUrl",
    "Contacts",
    "CtaUrl",
    "Document",
    "DuplicateId",
    "EmptyMedia",
    "EmptyText",
    "FlowMessage",
    "Image",
    "InvalidContact",
    "InvalidEmoji",
    "InvalidFlow",
    "InvalidHeader",
    "InvalidId",
    "InvalidLocation",
    "InvalidMedia",
    "InvalidMediaSource",
    "InvalidUrl",
    "ListMessage",
    "ListRow",
    "ListSection",
    "LocalMedia",
    "Location",
    "LocationRequest",
    "MediaFileNotFound",
    "MediaId",
    "MediaLink",
    "MediaMessage",
    "MediaTooLarge",
    "MessageBuildError",
    "MessageBuilder",
    "MismatchedCards",
    "Product",
    "ProductList",
    "ProductSection",
    "Reaction",
    "ReplyButton",
    "Sticker",
    "Template",
    "Text",
    "TextTooLong",
    "TooFewItems",
    "TooManyButtons",
    "TooManyCards",
    "TooManyItems",
    "TooManyProducts",
    "TooManyRows",
    "TooManySections",
    "UnknownMediaType",
    "UnsupportedMediaType",
    "UrlButton",
    "Video",
    "Voice",
    "body_of",
    "message_bodies",
    "split_text",
    "texts",
]
