"""Sending messages with :class:`~botkit.whatsapp.client.WhatsAppClient`: the ``/messages``
calls (every message type, read receipts) and :class:`SendResult`, Meta's acceptance.

Kept apart from the transport so that the per-type conveniences read as one list; each builds
its body with :mod:`botkit.whatsapp.messages` (Meta's limits checked before any request) and
goes through :meth:`MessageSending.send`, the one place that addresses and rate-limits a send.
``send`` also takes the typed builders of :mod:`botkit.whatsapp.builders`, uploading a
builder's local media first (an upload may be repeated; the send is the step done once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botkit.whatsapp._transport import segment
from botkit.whatsapp._uploads import MediaUploads
from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import body_of
from botkit.whatsapp.builders.text import TEXT_LIMIT
from botkit.whatsapp.errors import OutcomeUnknown
from botkit.whatsapp.messages import buttons_message, checked_text, list_message, media_message


@dataclass(frozen=True, slots=True)
class SendResult:
    """Meta accepted the message (acceptance only; delivery arrives later as statuses)."""

    message_id: str
    wa_id: str | None
    user_id: str | None
    message_status: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, data: Mapping[str, Any]) -> SendResult:
        messages = data.get("messages")
        message = messages[0] if isinstance(messages, list) and messages else {}
        if not isinstance(message, Mapping) or not message.get("id"):
            raise OutcomeUnknown(
                "the Graph API answered the send without a message id; the message may or may "
                "not have been sent; watch the statuses webhook",
                hint="watch the statuses webhook",
            )
        contacts = data.get("contacts")
        contact = contacts[0] if isinstance(contacts, list) and contacts else {}
        contact = contact if isinstance(contact, Mapping) else {}
        return cls(
            message_id=str(message["id"]),
            wa_id=contact.get("wa_id"),
            user_id=contact.get("user_id"),
            message_status=message.get("message_status"),
            raw=data,
        )


#: ``policy(phone_number_id, customer, message) -> message``: what may be sent (may raise).
SendPolicy = Callable[[str, str, Mapping[str, Any]], Awaitable[Mapping[str, Any]]]


class MessageSending(MediaUploads):
    """The message-sending methods of the client (a mixin over the transport and uploads)."""

    #: Set by the bot: the 24-hour window for free-form messages (see botkit.conversations).
    send_policy: SendPolicy | None = None

    async def send(
        self,
        phone_number_id: str,
        to: str | None,
        message: Mapping[str, Any],
        *,
        reply_to: str | None = None,
        recipient: str | None = None,
        biz_opaque_callback_data: str | None = None,
        apply_policy: bool = True,
    ) -> SendResult:
        """Send ``message`` (a builder, or ``{"type": "text", "text": {...}}`` etc.) from a
        business number.

        ``to`` is a phone number, ``recipient`` a business-scoped user id (either or both);
        ``reply_to`` quotes an earlier message. Local media of a builder is uploaded first.
        The bot's send policy (the 24-hour window) applies unless ``apply_policy`` is False
        (botkit's own outbox applies it itself).
        """
        message = body_of(message)
        if self.send_policy is not None and apply_policy and (to or recipient):
            message = await self.send_policy(phone_number_id, to or recipient or "", message)
        message = await self.resolve_uploads(phone_number_id, message)
        kind = message.get("type")
        if not isinstance(kind, str) or not isinstance(message.get(kind), Mapping | list):
            raise ValueError(
                "a message needs a 'type' and an object (a list for contacts) under the key "
                "of that type, "
                f"got keys {sorted(message)}"
            )
        if not to and not recipient:
            raise ValueError("a message needs 'to' (phone number) or 'recipient' (user id)")
        if reply_to and kind == "reaction":
            raise ValueError("a reaction cannot be sent as a reply (no context allowed)")
        if kind == "text":  # the one limit Meta would otherwise refuse only after the call
            text = message["text"]
            check.text(text.get("body") if isinstance(text, Mapping) else text, "text body",
                       TEXT_LIMIT)
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        if to:
            body["to"] = to
        if recipient:
            body["recipient"] = recipient
        body.update(message)
        if reply_to:
            body["context"] = {"message_id": reply_to}
        if biz_opaque_callback_data is not None:
            body["biz_opaque_callback_data"] = checked_text(
                biz_opaque_callback_data, 512, "biz_opaque_callback_data"
            )
        data = await self._call(
            "POST",
            f"/{segment(phone_number_id)}/messages",
            json=body,
            may_resend=False,
            limit=(phone_number_id, to or recipient),
        )
        return SendResult.from_response(data)

    async def send_text(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        *,
        reply_to: str | None = None,
        preview_url: bool = False,
    ) -> SendResult:
        text = {"preview_url": preview_url, "body": checked_text(body, 4096, "text body")}
        return await self.send(
            phone_number_id, to, {"type": "text", "text": text}, reply_to=reply_to
        )

    async def send_reaction(
        self, phone_number_id: str, to: str, message_id: str, emoji: str
    ) -> SendResult:
        """React to ``message_id``; an empty ``emoji`` removes the reaction."""
        if not isinstance(emoji, str):
            raise ValueError(f"emoji must be a string, got {type(emoji).__name__}")
        reaction = {"message_id": checked_text(message_id, 256, "reaction message_id"),
                    "emoji": emoji}
        return await self.send(phone_number_id, to, {"type": "reaction", "reaction": reaction})

    async def send_media(
        self,
        phone_number_id: str,
        to: str,
        kind: str,
        *,
        media_id: str | None = None,
        link: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        reply_to: str | None = None,
    ) -> SendResult:
        """Send an image, audio, video, document or sticker by ``media_id`` or by ``link``."""
        message = media_message(kind, media_id, link, caption, filename)
        return await self.send(phone_number_id, to, message, reply_to=reply_to)

    async def send_buttons(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        buttons: Sequence[tuple[str, str]],
        *,
        header: str | Mapping[str, Any] | None = None,
        footer: str | None = None,
        reply_to: str | None = None,
    ) -> SendResult:
        """Up to three reply buttons, each given as ``(id, title)``."""
        message = buttons_message(body, buttons, header, footer)
        return await self.send(phone_number_id, to, message, reply_to=reply_to)

    async def send_list(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        button: str,
        sections: Sequence[Mapping[str, Any]],
        *,
        header: str | None = None,
        footer: str | None = None,
        reply_to: str | None = None,
    ) -> SendResult:
        """A list message; a section is ``{"title", "rows": [{"id", "title", "description"}]}``."""
        message = list_message(body, button, sections, header, footer)
        return await self.send(phone_number_id, to, message, reply_to=reply_to)

    async def send_template(
        self,
        phone_number_id: str,
        to: str,
        name: str,
        language: str,
        components: Sequence[Mapping[str, Any]] | None = None,
        *,
        reply_to: str | None = None,
    ) -> SendResult:
        """An approved template: the only message allowed outside the 24-hour window."""
        template: dict[str, Any] = {
            "name": checked_text(name, 512, "template name"),
            "language": {"code": checked_text(language, 15, "template language code")},
        }
        if components:
            template["components"] = [dict(component) for component in components]
        message = {"type": "template", "template": template}
        return await self.send(phone_number_id, to, message, reply_to=reply_to)

    async def send_location(
        self,
        phone_number_id: str,
        to: str,
        latitude: float,
        longitude: float,
        *,
        name: str | None = None,
        address: str | None = None,
    ) -> SendResult:
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise ValueError(f"location out of range: latitude {latitude}, longitude {longitude}")
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if name is not None:
            location["name"] = checked_text(name, 1000, "location name")
        if address is not None:
            location["address"] = checked_text(address, 1000, "location address")
        return await self.send(phone_number_id, to, {"type": "location", "location": location})

    async def send_contacts(
        self, phone_number_id: str, to: str, contacts: Sequence[Mapping[str, Any]]
    ) -> SendResult:
        """Contact cards; each needs at least ``{"name": {"formatted_name": ...}}``."""
        if not contacts:
            raise ValueError("send_contacts needs at least one contact")
        for index, contact in enumerate(contacts):
            name = contact.get("name") if isinstance(contact, Mapping) else None
            if not isinstance(name, Mapping) or not name.get("formatted_name"):
                raise ValueError(f"contact {index} needs name.formatted_name")
        cards = [dict(contact) for contact in contacts]
        return await self.send(phone_number_id, to, {"type": "contacts", "contacts": cards})

    async def mark_read(
        self, phone_number_id: str, message_id: str, *, typing: bool = False
    ) -> None:
        """Mark an inbound message read; ``typing`` also shows a typing indicator (up to 25 s)."""
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": checked_text(message_id, 256, "message_id"),
        }
        if typing:
            body["typing_indicator"] = {"type": "text"}
        path = f"/{segment(phone_number_id)}/messages"
        await self._call("POST", path, json=body, may_resend=True, limit=(phone_number_id, None))
