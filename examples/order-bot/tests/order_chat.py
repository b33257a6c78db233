"""Helpers for the order-bot's conversation tests: a customer who walks the order step by step,
webhooks the payload builders do not have, and operator commands on the running bot's store."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

from botkit.testing import payloads, reply_buttons, reply_text
from botkit.testing.conversation import Conversation

TIMEOUT = 900  # the default timeout_seconds
ADDRESS = "12 Rose Street, Springfield"


def _botkit() -> str:
    """The command line installed with botkit: next to this Python, else on the PATH."""
    beside = Path(sys.executable).with_name("botkit")
    return str(beside) if beside.exists() else shutil.which("botkit") or "botkit"


BOTKIT = _botkit()


def titles(message: dict[str, Any]) -> list[str]:
    return [title for _, title in reply_buttons(message)]


class OrderWalk:
    """A customer placing a Large order, one step at a time, tapping the buttons the bot
    offered; each step checks the one reply it must get and remembers the wamid it posted."""

    STEPS = ("order", "size", "address", "confirm")

    def __init__(self, chat: Conversation) -> None:
        self.chat = chat
        self.wamids: list[str] = []
        self.offered: dict[str, str] = {}  # button title -> id, from the bot's last buttons

    async def step(self, name: str) -> None:
        """Take step ``name`` and check the bot's answer to it."""
        chat = self.chat
        if name == "order":
            wamid = await chat.send_text("order")
        elif name == "size":
            wamid = await chat.tap_button(self.offered["Large"], "Large")
        elif name == "address":
            wamid = await chat.send_text(ADDRESS)
        else:
            wamid = await chat.tap_button(self.offered["Confirm"], "Confirm")
        self.wamids.append(wamid)
        [reply] = await chat.replies()
        self.check(name, reply)

    def check(self, name: str, reply: dict[str, Any]) -> None:
        text = reply_text(reply)
        if name == "order":
            assert titles(reply) == ["Small", "Large"], reply
        elif name == "size":
            assert reply["type"] == "text" and "address" in text, reply
        elif name == "address":
            assert titles(reply) == ["Confirm", "Cancel"], reply
            assert "Large" in text and ADDRESS in text, reply
        else:
            assert reply["type"] == "text" and "Order placed" in text, reply
        if reply_buttons(reply):
            self.offered = {title: button_id for button_id, title in reply_buttons(reply)}


def business_echo(to: str, text: str = "Hi, Sam from the shop here.") -> dict[str, Any]:
    """An ``smb_message_echoes`` webhook: the business wrote to ``to`` from the WhatsApp
    Business app on the same number."""
    echo = {"from": payloads.DISPLAY_PHONE_NUMBER, "to": to, "id": payloads.new_wamid(),
            "timestamp": str(payloads.now()), "type": "text", "text": {"body": text}}
    return payloads.field_change("smb_message_echoes", message_echoes=[echo])


async def botkit_command(chat: Conversation, folder: Path, *args: str) -> str:
    """Run the ``botkit`` command line on the running bot's store, as an operator would next
    to it; returns what it printed."""
    config = folder / "operator.toml"
    config.write_text(f'[whatsapp]\nverify_token = "operator"\napp_secret = "operator"\n\n'
                      f'[store]\nurl = "{chat.runner.settings.store.url}"\n')
    process = await asyncio.create_subprocess_exec(
        BOTKIT, *args, "--config", str(config), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()
