"""Builders of what else a ``messages`` change carries: status updates of sent messages and
value-level errors, with Meta's error objects.

Separate from the message builders: these describe the business's own messages and the
account, not what a customer sent, and take the business number as plain keywords.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botkit.testing.payloads._envelope import (
    CUSTOMER_WA_ID,
    DISPLAY_PHONE_NUMBER,
    PHONE_NUMBER_ID,
    WABA_ID,
    Body,
    change_body,
    messages_value,
    new_wamid,
    now,
)


def status(wamid: str | None = None, status: str = "delivered", *,
           recipient: str | None = CUSTOMER_WA_ID, recipient_user_id: str | None = None,
           timestamp: int | None = None, pricing_category: str | None = None,
           errors: Iterable[Mapping[str, Any]] | None = None,
           biz_opaque_callback_data: str | None = None, phone_number_id: str = PHONE_NUMBER_ID,
           display_phone_number: str = DISPLAY_PHONE_NUMBER, waba_id: str = WABA_ID) -> Body:
    """A status update of a message the business sent (``sent``, ``delivered``, ``read``,
    ``played``, ``failed`` or any newer value). A ``failed`` status without ``errors`` carries
    Meta's "message undeliverable" (131026); ``pricing_category`` adds per-message pricing."""
    item: dict[str, Any] = {"id": wamid or new_wamid(), "status": status,
                            "timestamp": str(timestamp or now())}
    if recipient:
        item["recipient_id"] = recipient
    if recipient_user_id:
        item["recipient_user_id"] = recipient_user_id
    if biz_opaque_callback_data is not None:
        item["biz_opaque_callback_data"] = biz_opaque_callback_data
    if pricing_category is not None:
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular",
                           "category": pricing_category}
    if errors is None and status == "failed":
        errors = [error_object(131026, "Message undeliverable")]
    if errors is not None:
        item["errors"] = [dict(error) for error in errors]
    value = messages_value(phone_number_id, display_phone_number)
    value["statuses"] = [item]
    return change_body("messages", value, waba_id=waba_id)


def error_object(code: int, title: str, details: str | None = None) -> dict[str, Any]:
    """One error as Meta writes it in ``errors[]``."""
    error: dict[str, Any] = {"code": code, "title": title, "message": title}
    if details is not None:
        error["error_data"] = {"details": details}
    error["href"] = "https://developers.facebook.com/documentation/business-messaging/whatsapp/" \
                    "support/error-codes"
    return error


def value_error(code: int = 131000, title: str = "Something went wrong",
                details: str = "Unsupported webhook payload", *,
                phone_number_id: str = PHONE_NUMBER_ID,
                display_phone_number: str = DISPLAY_PHONE_NUMBER, waba_id: str = WABA_ID) -> Body:
    """A value-level error: a system, app or account problem not tied to one message."""
    value = messages_value(phone_number_id, display_phone_number)
    value["errors"] = [error_object(code, title, details)]
    return change_body("messages", value, waba_id=waba_id)
