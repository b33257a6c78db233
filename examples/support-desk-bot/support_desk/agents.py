"""What agents type and what they are told: commands from an agent's WhatsApp, and the texts
that bring customers' messages to them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from botkit import Message

_RELAY = re.compile(r"^#(\d{6,15})\s+(.+)$", re.DOTALL)
_DONE = re.compile(r"^#done\s+(\d{6,15})\s*$", re.IGNORECASE)
_LIST = re.compile(r"^#list\s*$", re.IGNORECASE)

HELP = ("Commands:\n#<number> <text>  answer a customer\n#done <number>  close the "
        "conversation\n#list  the open conversations")


@dataclass(frozen=True)
class Command:
    """``relay`` (text to a customer), ``done`` (close), ``list``, or ``help`` for anything
    else."""

    action: str
    customer: str | None = None
    text: str | None = None


def parse(text: str | None) -> Command:
    text = (text or "").strip()
    if match := _DONE.match(text):
        return Command("done", match.group(1))
    if _LIST.match(text):
        return Command("list")
    if match := _RELAY.match(text):
        return Command("relay", match.group(1), match.group(2).strip())
    return Command("help")


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
