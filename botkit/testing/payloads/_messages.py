"""Builders of inbound messages, one per message type Meta documents, plus :func:`message`
for any type (including those Meta adds later).

Separate from statuses and other fields because messages are the bulk of the builders and the
only ones that take :class:`MessageOptions` (sender, business number, quoted message, time).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from typing import Any, TypedDict, Unpack

from botkit.testing.payloads._envelope import (
    CUSTOMER_NAME,
    CUSTOMER_WA_ID,
    DISPLAY_PHONE_NUMBER,
    PHONE_NUMBER_ID,
    WABA_ID,
    Body,
    change_body,
    messages_value,
    new_media_id,
    new_wamid,
    now,
)


class MessageOptions(TypedDict, total=False):
    """Who sent an inbound message, to which business number, and when.

    ``sender`` is the customer's wa_id (``None`` for a username-only user, who then needs
    ``user_id``); ``name`` their profile name (``None`` leaves it out); ``context`` the wamid the
    message quotes; ``timestamp`` unix seconds (default: now); ``message_id`` the wamid (default:
    a fresh one).
    """

    sender: str | None
    user_id: str | None
    name: str | None
    message_id: str | None
    timestamp: int | None
    context: str | None
    phone_number_id: str
    display_phone_number: str
    waba_id: str


def message(type_: str, content: Any = None, *, with_contact: bool = True,
            extra: Mapping[str, Any] | None = None, **options: Unpack[MessageOptions]) -> Body:
    """An inbound message of any type, ``content`` under the key named like the type.

    The typed builders below use it; call it directly for types Meta adds later.
    """
    sender = options.get("sender", CUSTOMER_WA_ID)
    user_id = options.get("user_id")
    if not sender and not user_id:
        raise ValueError("a message needs a sender (wa_id) or a user_id")
    item: dict[str, Any] = {}
    if options.get("context"):
        item["context"] = {"from": options.get("display_phone_number", DISPLAY_PHONE_NUMBER),
                           "id": options["context"]}
    if sender:
        item["from"] = sender
    if user_id:
        item["from_user_id"] = user_id
    item["id"] = options.get("message_id") or new_wamid()
    item["timestamp"] = str(options.get("timestamp") or now())
    item["type"] = type_
    if content is not None:
        item[type_] = content
    item.update(extra or {})
    value = messages_value(options.get("phone_number_id", PHONE_NUMBER_ID),
                            options.get("display_phone_number", DISPLAY_PHONE_NUMBER))
    if with_contact:
        contact: dict[str, Any] = {"profile": {}}
        if (name := options.get("name", CUSTOMER_NAME)) is not None:
            contact["profile"]["name"] = name
        if sender:
            contact["wa_id"] = sender
        if user_id:
            contact["user_id"] = user_id
        value["contacts"] = [contact]
    value["messages"] = [item]
    return change_body("messages", value, waba_id=options.get("waba_id", WABA_ID))


def text_message(body: str, **options: Unpack[MessageOptions]) -> Body:
    return message("text", {"body": body}, **options)


def _media(media_id: str | None, mime_type: str, **fields: Any) -> dict[str, Any]:
    media_id = media_id or new_media_id()
    item = {key: value for key, value in fields.items() if value is not None}
    item.update({"mime_type": mime_type,
                 "sha256": base64.b64encode(secrets.token_bytes(32)).decode(), "id": media_id,
                 "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
                        f"?mid={media_id}&source=webhook"})
    return item


def image_message(*, caption: str | None = None, media_id: str | None = None,
                  mime_type: str = "image/jpeg", **options: Unpack[MessageOptions]) -> Body:
    return message("image", _media(media_id, mime_type, caption=caption), **options)


def audio_message(*, voice: bool = False, media_id: str | None = None,
                  mime_type: str | None = None, **options: Unpack[MessageOptions]) -> Body:
    """An audio file, or with ``voice`` a recorded voice note (ogg/opus)."""
    mime = mime_type or ("audio/ogg; codecs=opus" if voice else "audio/mpeg")
    content = _media(media_id, mime)
    content["voice"] = voice
    return message("audio", content, **options)


def video_message(*, caption: str | None = None, media_id: str | None = None,
                  mime_type: str = "video/mp4", **options: Unpack[MessageOptions]) -> Body:
    return message("video", _media(media_id, mime_type, caption=caption), **options)


def document_message(*, filename: str = "document.pdf", caption: str | None = None,
                     media_id: str | None = None, mime_type: str = "application/pdf",
                     **options: Unpack[MessageOptions]) -> Body:
    content = _media(media_id, mime_type, caption=caption, filename=filename)
    return message("document", content, **options)


def sticker_message(*, animated: bool = False, media_id: str | None = None,
                    **options: Unpack[MessageOptions]) -> Body:
    content = _media(media_id, "image/webp")
    content["animated"] = animated
    return message("sticker", content, **options)


def location_message(latitude: float, longitude: float, *, name: str | None = None,
                     address: str | None = None, url: str | None = None,
                     **options: Unpack[MessageOptions]) -> Body:
    content = {"latitude": latitude, "longitude": longitude, "name": name, "address": address,
               "url": url}
    return message("location", {k: v for k, v in content.items() if v is not None}, **options)


def contact_card(formatted_name: str, *, phone: str | None = None,
                 wa_id: str | None = None) -> dict[str, Any]:
    """A shared contact card for :func:`contacts_message`."""
    first, _, last = formatted_name.partition(" ")
    card: dict[str, Any] = {"name": {"formatted_name": formatted_name, "first_name": first}}
    if last:
        card["name"]["last_name"] = last
    if phone:
        card["phones"] = [{"phone": phone, "type": "CELL", **({"wa_id": wa_id} if wa_id else {})}]
    return card


def contacts_message(*cards: Mapping[str, Any], **options: Unpack[MessageOptions]) -> Body:
    shared = [dict(card) for card in cards] or [contact_card("Mila Schmidt",
                                                             phone="+49 1555 0198765")]
    return message("contacts", None, extra={"contacts": shared}, **options)


def button_reply_message(button_id: str, title: str, **options: Unpack[MessageOptions]) -> Body:
    """A tap on a reply button the business sent (``interactive`` / ``button_reply``)."""
    content = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
    return message("interactive", content, **options)


def list_reply_message(row_id: str, title: str, description: str | None = None,
                       **options: Unpack[MessageOptions]) -> Body:
    """A row picked from a list message (``interactive`` / ``list_reply``)."""
    row = {"id": row_id, "title": title}
    if description is not None:
        row["description"] = description
    return message("interactive", {"type": "list_reply", "list_reply": row}, **options)


def flow_reply_message(response: Mapping[str, Any], **options: Unpack[MessageOptions]) -> Body:
    """A completed WhatsApp Flow: ``response_json`` is the form's answers as a JSON string."""
    reply = {"response_json": json.dumps(dict(response)), "body": "Sent", "name": "flow"}
    return message("interactive", {"type": "nfm_reply", "nfm_reply": reply}, **options)


def button_message(payload: str, text: str, **options: Unpack[MessageOptions]) -> Body:
    """A quick-reply button tapped on a template message (type ``button``)."""
    return message("button", {"payload": payload, "text": text}, **options)


def reaction_message(reacted_to: str, emoji: str | None,
                     **options: Unpack[MessageOptions]) -> Body:
    """A reaction to the message ``reacted_to``; ``emoji=None`` is a removed reaction."""
    content = {"message_id": reacted_to}
    if emoji is not None:
        content["emoji"] = emoji
    return message("reaction", content, **options)


def order_message(*items: tuple[str, int, float, str], catalog_id: str = "1948369870038351",
                  text: str | None = None, **options: Unpack[MessageOptions]) -> Body:
    """A catalog order; each item is ``(product_retailer_id, quantity, item_price, currency)``."""
    products = [{"product_retailer_id": pid, "quantity": qty, "item_price": price,
                 "currency": currency} for pid, qty, price, currency in
                (items or [("PLANTER-BLU-L", 1, 30, "USD")])]
    content: dict[str, Any] = {"catalog_id": catalog_id, "product_items": products}
    if text is not None:
        content["text"] = text
    return message("order", content, **options)


def system_message(new_wa_id: str = "15550654321", *, kind: str = "user_changed_number",
                   **options: Unpack[MessageOptions]) -> Body:
    """The customer changed number (or identity): a ``system`` message, without contacts."""
    sender = options.get("sender", CUSTOMER_WA_ID)
    content = {"body": f"User {options.get('name', CUSTOMER_NAME)} changed from {sender} to "
                       f"{new_wa_id}", "wa_id": new_wa_id, "type": kind}
    return message("system", content, with_contact=False, **options)


def unsupported_message(original_type: str = "poll_creation",
                        **options: Unpack[MessageOptions]) -> Body:
    errors = [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown",
               "error_data": {"details": "Message type is currently not supported."}}]
    return message("unsupported", {"type": original_type}, extra={"errors": errors}, **options)


def request_welcome_message(**options: Unpack[MessageOptions]) -> Body:
    """A customer opened the chat for the first time (no content object)."""
    return message("request_welcome", **options)


def revoke_message(original_id: str, **options: Unpack[MessageOptions]) -> Body:
    """The customer deleted an earlier message."""
    return message("revoke", {"original_message_id": original_id}, **options)


def edit_message(original_id: str, new_text: str, **options: Unpack[MessageOptions]) -> Body:
    """The customer edited an earlier text message."""
    content = {"original_message_id": original_id,
               "message": {"type": "text", "text": {"body": new_text}}}
    return message("edit", content, **options)
