"""One status update as the logger records it: flat columns for queries, a dict for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from botkit import Status

# A message moves forward through these; ``failed`` ends it; any other value (a status Meta
# adds later) is kept in the timeline but moves nothing.
RANKS = {"sent": 1, "delivered": 2, "read": 3, "played": 4}
FAILED = "failed"
KNOWN = (*RANKS, FAILED)


@dataclass(frozen=True)
class StatusEntry:
    key: str
    wamid: str
    status: str
    timestamp: int | None
    recipient_id: str | None
    recipient_user_id: str | None
    phone_number_id: str | None
    error_code: int | None
    error_title: str | None
    errors: tuple[dict[str, Any], ...]
    pricing_category: str | None
    pricing_model: str | None
    pricing_type: str | None
    conversation_id: str | None
    biz_opaque_callback_data: str | None

    @classmethod
    def from_status(cls, status: Status) -> StatusEntry:
        errors = tuple({"code": e.code, "title": e.title, "message": e.message,
                        "details": e.details} for e in status.errors)
        first = status.errors[0] if status.errors else None
        return cls(
            key=status.key, wamid=status.id, status=status.status, timestamp=status.timestamp,
            recipient_id=status.recipient_id, recipient_user_id=status.recipient_user_id,
            phone_number_id=status.phone_number_id,
            error_code=first.code if first else None,
            error_title=(first.title or first.message) if first else None,
            errors=errors, pricing_category=status.pricing_category,
            pricing_model=status.pricing_model, pricing_type=status.pricing_type,
            conversation_id=status.conversation_id,
            biz_opaque_callback_data=status.biz_opaque_callback_data,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = list(self.errors)
        return data


def supersedes(new: str, current: str | None) -> bool:
    """Whether a message whose state is ``current`` moves to ``new``.

    States only move forward (a late ``delivered`` after ``read`` changes nothing); ``failed``
    wins over any other state and nothing moves a failed message; unknown values move nothing.
    """
    if new not in KNOWN or current == FAILED:
        return False
    if current is None or new == FAILED:
        return True
    return RANKS[new] > RANKS.get(current, 0)
