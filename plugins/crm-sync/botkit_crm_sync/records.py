"""Contact records and how a sighting changes one, kept free of storage so the rules are plain.

Events may arrive out of order (statuses of other conversations, retries), so every field is
updated in a way that does not depend on order: seen times take the min/max, the last message
and the opt-out state keep the newest by timestamp.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .sightings import Sighting

FIELDS = ("customer_id", "wa_id", "user_id", "name", "username", "first_seen", "last_seen",
          "last_message_text", "last_message_type", "last_message_at", "message_count",
          "opted_out", "opt_out_changed_at", "previous_wa_ids", "revision", "updated_at")


@dataclass(frozen=True)
class ContactRecord:
    """What crm-sync knows about one customer; ``revision`` grows with every change, so a
    receiver can ignore a record older than the one it has."""

    customer_id: str
    wa_id: str | None = None
    user_id: str | None = None
    name: str | None = None
    username: str | None = None
    first_seen: int | None = None
    last_seen: int | None = None
    last_message_text: str | None = None
    last_message_type: str | None = None
    last_message_at: int | None = None
    message_count: int = 0
    opted_out: bool = False
    opt_out_changed_at: int | None = None
    previous_wa_ids: tuple[str, ...] = ()
    revision: int = 0
    updated_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["previous_wa_ids"] = list(self.previous_wa_ids)
        return data


def apply(record: ContactRecord | None, sighting: Sighting, now: float) -> ContactRecord:
    """``record`` (``None`` for a new customer) after ``sighting``; re-keyed when the customer's
    user id becomes known or their number changes."""
    rec = record or ContactRecord(customer_id=sighting.customer_id or "")
    wa_id, previous = rec.wa_id, rec.previous_wa_ids
    if sighting.wa_id and sighting.wa_id != wa_id:
        if wa_id:
            previous = _add(previous, wa_id)
        wa_id = sighting.wa_id
    rec = replace(
        rec,
        wa_id=wa_id,
        previous_wa_ids=previous,
        user_id=sighting.user_id or rec.user_id,
        name=sighting.name or rec.name,
        username=sighting.username or rec.username,
        first_seen=_min(rec.first_seen, sighting.at),
        last_seen=_max(rec.last_seen, sighting.at),
        revision=rec.revision + 1,
        updated_at=now,
    )
    if sighting.message_type is not None:
        rec = replace(rec, message_count=rec.message_count + 1)
        if _is_newer(sighting.at, rec.last_message_at):
            rec = replace(rec, last_message_text=sighting.message_text,
                          last_message_type=sighting.message_type,
                          last_message_at=sighting.at)
    if sighting.opted_out is not None and _is_newer(sighting.at, rec.opt_out_changed_at):
        rec = replace(rec, opted_out=sighting.opted_out, opt_out_changed_at=sighting.at)
    return replace(rec, customer_id=rec.user_id or rec.wa_id or rec.customer_id)


def merge(older: ContactRecord, newer: ContactRecord) -> ContactRecord:
    """One record from two that turned out to be the same customer (``newer`` holds the
    current identity, e.g. the new number)."""
    last = newer if _is_newer(newer.last_message_at, older.last_message_at) else older
    opt = newer if _is_newer(newer.opt_out_changed_at, older.opt_out_changed_at) else older
    previous = older.previous_wa_ids
    for number in (*newer.previous_wa_ids, older.wa_id):
        if number and number != (newer.wa_id or older.wa_id):
            previous = _add(previous, number)
    return replace(
        newer,
        wa_id=newer.wa_id or older.wa_id,
        user_id=newer.user_id or older.user_id,
        name=newer.name or older.name,
        username=newer.username or older.username,
        first_seen=_min(older.first_seen, newer.first_seen),
        last_seen=_max(older.last_seen, newer.last_seen),
        last_message_text=last.last_message_text,
        last_message_type=last.last_message_type,
        last_message_at=last.last_message_at,
        message_count=older.message_count + newer.message_count,
        opted_out=opt.opted_out,
        opt_out_changed_at=opt.opt_out_changed_at,
        previous_wa_ids=previous,
        revision=max(older.revision, newer.revision),
        updated_at=max(older.updated_at, newer.updated_at),
    )


def _add(numbers: tuple[str, ...], number: str) -> tuple[str, ...]:
    return numbers if number in numbers else (*numbers, number)


def _is_newer(when: int | None, than: int | None) -> bool:
    """Whether a fact from ``when`` replaces one from ``than`` (undated facts count as newest)."""
    return than is None or when is None or when >= than


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)
