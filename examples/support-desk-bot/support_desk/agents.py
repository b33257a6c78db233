"""What agents type and what they are told: the commands an agent writes from WhatsApp (as
patterns for the routers' ``f.text.regex`` filters), and the texts that bring customers'
messages to them."""

from __future__ import annotations

import re

from botkit import Message

RELAY = re.compile(r"^#(?P<customer>\d{6,15})\s+(?P<text>.+)$", re.DOTALL)
DONE = re.compile(r"^#done\s+(?P<customer>\d{6,15})\s*$", re.IGNORECASE)
LIST = re.compile(r"^#list\s*$", re.IGNORECASE)

HELP = ("Commands:\n#<number> <text>  answer a customer\n#done <number>  close the "
        "conversation\n#list  the open conversations")


def who(name: str | None, customer: str) -> str:
    return f"{name} (+{customer})" if name else f"+{customer}"


def what(message: Message) -> str:
    """A customer's message as an agent reads it in a text."""
    if message.type == "text":
        return message.text or ""
    return f"[{message.type}] {message.text}" if message.text else f"[{message.type}]"


def handoff_notice(name: str | None, customer: str, message: Message) -> str:
    return (f"{who(name, customer)} asks for a person: {what(message)}\n"
            f"Answer with: #{customer} <your text>\nClose with: #done {customer}")


def forwarded(name: str | None, customer: str, message: Message) -> str:
    return f"{who(name, customer)}: {what(message)}"
