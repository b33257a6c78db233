"""Webhook bodies shaped like Meta's, for tests and drills.

One builder per inbound message type and for statuses, value-level errors and every other webhook
field; each returns a whole POST body (one entry, one change) that passes botkit's shipped
schemas. :func:`webhook` merges several bodies into one POST, the way Meta batches updates, and
:func:`wire_bytes` encodes a body exactly as Meta puts it on the wire. Ids are fresh and
timestamps default to now, so the dedupe window keeps every built event.

Every name is imported from here (``botkit.testing.payloads.text_message``); the builders live
in private modules by theme: the envelope and ids, inbound messages, statuses and value errors,
the other webhook fields, and the named samples of ``botkit send-test``.
"""

from __future__ import annotations

from botkit.testing.payloads._envelope import (
    CUSTOMER_NAME,
    CUSTOMER_WA_ID,
    DISPLAY_PHONE_NUMBER,
    PHONE_NUMBER_ID,
    WABA_ID,
    Body,
    change_body,
    new_media_id,
    new_wamid,
    now,
    webhook,
    wire_bytes,
)
from botkit.testing.payloads._fields import FIELD_VALUES, field_change
from botkit.testing.payloads._messages import (
    MessageOptions,
    audio_message,
    button_message,
    button_reply_message,
    contact_card,
    contacts_message,
    document_message,
    edit_message,
    flow_reply_message,
    image_message,
    list_reply_message,
    location_message,
    message,
    order_message,
    reaction_message,
    request_welcome_message,
    revoke_message,
    sticker_message,
    system_message,
    text_message,
    unsupported_message,
    video_message,
)
from botkit.testing.payloads._samples import SAMPLES, sample
from botkit.testing.payloads._statuses import error_object, status, value_error

__all__ = [
    "CUSTOMER_NAME",
    "CUSTOMER_WA_ID",
    "DISPLAY_PHONE_NUMBER",
    "FIELD_VALUES",
    "PHONE_NUMBER_ID",
    "SAMPLES",
    "WABA_ID",
    "Body",
    "MessageOptions",
    "audio_message",
    "button_message",
    "button_reply_message",
    "change_body",
    "contact_card",
    "contacts_message",
    "document_message",
    "edit_message",
    "error_object",
    "field_change",
    "flow_reply_message",
    "image_message",
    "list_reply_message",
    "location_message",
    "message",
    "new_media_id",
    "new_wamid",
    "now",
    "order_message",
    "reaction_message",
    "request_welcome_message",
    "revoke_message",
    "sample",
    "status",
    "sticker_message",
    "system_message",
    "text_message",
    "unsupported_message",
    "value_error",
    "video_message",
    "webhook",
    "wire_bytes",
]
