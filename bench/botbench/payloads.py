"""Webhook bodies in Meta's shape, with unique wamids so botkit's dedupe keeps every event.

Bodies are compact JSON with non-ASCII escaped (``ensure_ascii``), as Meta sends them. The text
message starts from the shared ``message_text.json`` sample and only swaps the id, sender and a
longer text, so its envelope stays exactly what Meta documents.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botbench.paths import TEXT_TEMPLATE

WABA_ID = "104996122399160"
PHONE_NUMBER_ID = "109862385428321"
DISPLAY_PHONE_NUMBER = "15551234567"
BASE_TIMESTAMP = 1782900000
SENDER_COUNT = 1000

LONG_TEXT = (
    "Hi! I ordered the blue ceramic planter (order 58213) last Tuesday and the tracking page "
    "still says \u201clabel created\u201d. Could you check whether it has actually left the "
    "warehouse? I need it before Saturday because it is a birthday present for my sister, "
    "and I would rather pick it up in the shop on Rue de la Gare if that is quicker. Also, "
    "the confirmation e-mail listed the 30 cm size but I chose the 25 cm one; please make "
    "sure the right one is packed. If the 25 cm planter is out of stock I am happy to switch "
    "to the terracotta version in the same size, or to wait one more week, just tell me "
    "which is faster. My phone number is the one I am writing from, and the delivery "
    "address is unchanged: 14 Elm Street, flat 3, Springfield. One more question: do you "
    "sell the matching saucer separately, and is there a discount if I add two of the small "
    "herb pots to the same order? Thanks a lot for your help, and sorry for the long "
    "message \u2615. I will be at work until six, so a reply in the evening is perfect. "
    "Have a nice day!"
)

STATUS_CYCLE = ("sent", "delivered", "read", "sent", "delivered", "read", "read", "failed")


def compact(payload: dict[str, Any]) -> bytes:
    """Serialise like Meta: no spaces, non-ASCII as \\uXXXX, '/' as '\\/'."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def wamid(serial: int, wa_id: str) -> str:
    """A wamid-looking id that is unique per serial (base64 like Meta's, content invented)."""
    raw = f"\x18\x0b{wa_id}\x15\x02\x00\x12\x18\x14{serial:020X}\x00".encode("latin-1")
    return "wamid." + base64.b64encode(raw).decode("ascii")


def sender(serial: int) -> tuple[str, str]:
    """Spread traffic over many conversations, as real inbound traffic is."""
    index = serial % SENDER_COUNT
    return f"1555{7000000 + index:07d}", f"Customer {index:04d}"


def business_scoped_id(wa_id: str) -> str:
    """The BSUID every 2026 messages webhook carries next to the wa_id."""
    return f"US.{13491208655302741918 + int(wa_id[-7:])}"


def contact(wa_id: str, name: str) -> dict[str, Any]:
    return {"profile": {"name": name}, "wa_id": wa_id, "user_id": business_scoped_id(wa_id)}


def load_text_template(path: Path = TEXT_TEMPLATE) -> dict[str, Any]:
    """Read the shared text sample; fail with a message that says where it was looked for."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"sample payload {path} is missing; the benchmark builds its bodies from it"
        ) from None


def text_message_body(serial: int, template: dict[str, Any], text: str = LONG_TEXT, *,
                      timestamp: int | None = None) -> bytes:
    """One inbound text message (~1.5 KB) with its own wamid and sender; ``timestamp`` (unix
    seconds) replaces the fixed one, for a bot that answers only within the 24-hour window."""
    payload = copy.deepcopy(template)
    value = payload["entry"][0]["changes"][0]["value"]
    wa_id, name = sender(serial)
    value["contacts"] = [contact(wa_id, name)]
    message = value["messages"][0]
    message["from"] = wa_id
    message["id"] = wamid(serial, wa_id)
    message["timestamp"] = str(timestamp if timestamp is not None
                               else BASE_TIMESTAMP + serial % 86400)
    message["text"]["body"] = text
    return compact(payload)


def _status(serial: int) -> dict[str, Any]:
    """One status in the 2026 shape: pricing on sent/delivered, errors on failed."""
    wa_id, _ = sender(serial)
    kind = STATUS_CYCLE[serial % len(STATUS_CYCLE)]
    status: dict[str, Any] = {
        "id": wamid(serial, wa_id),
        "status": kind,
        "timestamp": str(BASE_TIMESTAMP + serial % 86400),
        "recipient_id": wa_id,
        "recipient_user_id": business_scoped_id(wa_id),
    }
    if kind in ("sent", "delivered"):
        status["pricing"] = {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "utility",
        }
    if kind == "sent":
        status["biz_opaque_callback_data"] = f"order-{serial % 100000:05d}"
    if kind == "failed":
        status["errors"] = [
            {
                "code": 131049,
                "title": "This message was not delivered to maintain healthy ecosystem engagement.",
                "message": "This message was not delivered to maintain healthy ecosystem "
                "engagement.",
                "error_data": {
                    "details": "In order to maintain a healthy ecosystem engagement, "
                    "the message failed to be delivered."
                },
                "href": "/documentation/business-messaging/whatsapp/support/error-codes",
            }
        ]
    return status


def status_batch_body(first_serial: int, count: int) -> bytes:
    """``count`` statuses in one change, serials ``first_serial`` onwards (all unique).

    Like Meta since the BSUID rollout, ``contacts`` lists the recipients of the statuses that
    are not ``failed``.
    """
    statuses = [_status(first_serial + offset) for offset in range(count)]
    recipients: dict[str, dict[str, Any]] = {}
    for serial, status in enumerate(statuses, start=first_serial):
        if status["status"] != "failed":
            wa_id, name = sender(serial)
            recipients.setdefault(wa_id, contact(wa_id, name))
    items: dict[str, Any] = {"statuses": statuses}
    if recipients:
        items = {"contacts": list(recipients.values()), **items}
    return compact(_envelope(items))


def big_text_batch_body(first_serial: int, target_bytes: int) -> bytes:
    """Text messages with 4,000-character texts, as many as fit in ``target_bytes``."""
    text = ((LONG_TEXT + " ") * 4)[:4000]
    empty_size = len(compact(_envelope({"contacts": [], "messages": []})))
    messages: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    size = empty_size
    serial = first_serial
    while True:
        wa_id, name = sender(serial)
        message = {
            "from": wa_id,
            "id": wamid(serial, wa_id),
            "timestamp": str(BASE_TIMESTAMP + serial % 86400),
            "type": "text",
            "text": {"body": text},
        }
        profile = contact(wa_id, name)
        separators = 2 if messages else 0
        grown = size + len(compact(message)) + len(compact(profile)) + separators
        if grown > target_bytes:
            break
        messages.append(message)
        contacts.append(profile)
        size = grown
        serial += 1
    if not messages:
        raise ValueError(f"target_bytes={target_bytes} is too small for one message")
    body = compact(_envelope({"contacts": contacts, "messages": messages}))
    assert len(body) == size, "size bookkeeping drifted from the serialised body"
    return body


def count_events(body: bytes) -> int:
    """Items a receiver must turn into events: every message, status and value-level error."""
    payload = json.loads(body)
    total = 0
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            items = sum(len(value.get(key, [])) for key in ("messages", "statuses", "errors"))
            total += items or 1
    return total


def text_bodies(first_serial: int, count: int) -> Iterator[bytes]:
    """``count`` distinct text-message bodies."""
    template = load_text_template()
    for serial in range(first_serial, first_serial + count):
        yield text_message_body(serial, template)


def _envelope(value_items: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": DISPLAY_PHONE_NUMBER,
            "phone_number_id": PHONE_NUMBER_ID,
        },
    }
    value.update(value_items)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }
