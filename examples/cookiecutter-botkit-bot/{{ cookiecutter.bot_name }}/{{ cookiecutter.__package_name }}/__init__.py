"""{{ cookiecutter.bot_name }}'s own plugin: a menu of reply buttons and the answers behind them.

Change it into what your bot does; botkit's hook reference lists every hook.
"""

from __future__ import annotations

from typing import Any

from botkit import Message, hookimpl

PLUGIN = "{{ cookiecutter.bot_name }}"
BUTTONS = (("hours", "Opening hours"), ("contact", "Talk to us"))


def menu() -> dict[str, Any]:
    """A Cloud API message with reply buttons (at most 3, titles up to 20 characters)."""
    buttons = [{"type": "reply", "reply": {"id": id_, "title": title}} for id_, title in BUTTONS]
    return {"type": "interactive",
            "interactive": {"type": "button", "body": {"text": "How can I help?"},
                            "action": {"buttons": buttons}}}


@hookimpl
def startup(bot) -> None:
    table = bot.config(PLUGIN)
    bot.state[PLUGIN] = {
        "menu_words": {word.lower() for word in table.get("menu_words", ["menu", "help"])},
        "hours": table["hours"],
        "contact": table["contact"],
    }


@hookimpl
def reply_for_message(bot, message: Message) -> str | dict[str, Any] | None:
    """The menu for a menu word or a first contact, the answer for a tapped button; None lets
    the next plugin in enabled_plugins answer."""
    state = bot.state[PLUGIN]
    if message.type == "request_welcome":
        return menu()
    if message.type == "text" and (message.text or "").strip().lower() in state["menu_words"]:
        return menu()
    if message.type == "interactive" and message.reply_id in ("hours", "contact"):
        return state[message.reply_id]
    return None
