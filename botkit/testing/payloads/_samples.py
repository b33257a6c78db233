"""Named samples: one fresh body per message type, status, value error and webhook field, by
the name ``botkit send-test --kind`` takes.

Separate because it only picks realistic arguments for the builders of the other modules.
"""

from __future__ import annotations

from collections.abc import Callable

from botkit.testing.payloads._envelope import Body, new_wamid
from botkit.testing.payloads._fields import FIELD_VALUES, field_change
from botkit.testing.payloads._messages import (
    audio_message,
    button_message,
    button_reply_message,
    contacts_message,
    document_message,
    edit_message,
    flow_reply_message,
    image_message,
    list_reply_message,
    location_message,
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
from botkit.testing.payloads._statuses import status, value_error

SAMPLES: dict[str, Callable[[], Body]] = {
    "text": lambda: text_message("Hi! Do you have the blue planter in stock?"),
    "image": lambda: image_message(caption="Do you have this one in green?"),
    "audio": lambda: audio_message(),
    "voice": lambda: audio_message(voice=True),
    "video": lambda: video_message(caption="The crack is on the left side"),
    "document": lambda: document_message(filename="invoice-4471.pdf", caption="My invoice"),
    "sticker": lambda: sticker_message(),
    "location": lambda: location_message(51.5033635, -0.1276248, name="Westminster Pier"),
    "contacts": lambda: contacts_message(),
    "button_reply": lambda: button_reply_message("confirm", "Confirm", context=new_wamid()),
    "list_reply": lambda: list_reply_message("ship_express", "Express (1-2 days)",
                                             "Arrives by Thursday", context=new_wamid()),
    "flow_reply": lambda: flow_reply_message({"flow_token": "flw_tok_1", "date": "2026-07-14"},
                                             context=new_wamid()),
    "button": lambda: button_message("STOP_PROMOTIONS", "Stop promotions", context=new_wamid()),
    "reaction": lambda: reaction_message(new_wamid(), "\N{THUMBS UP SIGN}"),
    "reaction_removed": lambda: reaction_message(new_wamid(), None),
    "order": lambda: order_message(("PLANTER-BLU-L", 2, 30, "GBP"), ("SOIL-5L", 1, 8.5, "GBP")),
    "system": lambda: system_message(),
    "unsupported": lambda: unsupported_message(),
    "request_welcome": lambda: request_welcome_message(),
    "revoke": lambda: revoke_message(new_wamid()),
    "edit": lambda: edit_message(new_wamid(), "Sorry, I meant the green planter"),
    **{f"status_{name}": (lambda name=name: status(status=name)) for name in
       ("sent", "delivered", "read", "played", "failed")},
    "error": lambda: value_error(),
    **{field: (lambda field=field: field_change(field)) for field in FIELD_VALUES},
}


def sample(kind: str) -> Body:
    """A fresh body of a named kind (a message type, ``status_<status>``, ``error`` or a field)."""
    try:
        return SAMPLES[kind]()
    except KeyError:
        raise ValueError(f"unknown sample kind {kind!r}; expected one of: "
                         f"{', '.join(SAMPLES)}") from None
