"""What the order dialog says, and the ids of the buttons it offers."""

from __future__ import annotations

from typing import Any

#: Reply button id -> the size's title, as the customer sees it.
SIZES = {"order:size:small": "Small", "order:size:large": "Large"}
CONFIRM = "order:confirm"
CANCEL = "order:cancel"

#: An address longer than this is asked for again (it must fit the confirmation's body).
MAX_ADDRESS = 300

ADDRESS_QUESTION = "{size} it is. What is the delivery address?"
ADDRESS_TOO_LONG = f"Please send a shorter address (up to {MAX_ADDRESS} characters)."
ADDRESS_AGAIN = "Please type the delivery address."
PLACED = "Order placed: {size} to {address}. Thank you!"
CANCELLED = "Your order is cancelled. Send order whenever you want to start again."
TIMED_OUT = "Your order timed out without an answer. Send order to start again."
HOW_TO_START = "Send order to start an order, or agent to talk to a person."
AGENT = "An agent will take over this chat shortly."


def buttons(text: str, choices: list[tuple[str, str]]) -> dict[str, Any]:
    """A reply-buttons message: ``text`` above one button per ``(id, title)``."""
    return {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": text},
        "action": {"buttons": [{"type": "reply", "reply": {"id": button_id, "title": title}}
                               for button_id, title in choices]}}}


def size_question() -> dict[str, Any]:
    return buttons("Which size would you like?", list(SIZES.items()))


def confirm_question(size: str, address: str) -> dict[str, Any]:
    return buttons(f"{size} to {address}. Shall I place the order?",
                   [(CONFIRM, "Confirm"), (CANCEL, "Cancel")])
