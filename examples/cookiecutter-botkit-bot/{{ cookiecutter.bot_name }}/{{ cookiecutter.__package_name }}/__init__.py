"""{{ cookiecutter.bot_name }}'s own plugin: a menu of reply buttons and the answers behind them.

Change it into what your bot does; botkit's hook reference lists every hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botkit import Message, Reply, hookimpl

if TYPE_CHECKING:
    from botkit import Bot

PLUGIN = "{{ cookiecutter.bot_name }}"
BUTTONS = (("hours", "Opening hours"), ("contact", "Talk to us"))


@dataclass(frozen=True)
class Menu:
    """The [plugins.{{ cookiecutter.bot_name }}] table, typed."""

    words: frozenset[str]
    answers: Mapping[str, str]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Menu:
        """From ``bot.config(PLUGIN)``: botkit has checked it against config.schema.json and
        filled in the schema's defaults (``menu_words``)."""
        return cls(words=frozenset(word.lower() for word in config["menu_words"]),
                   answers={button: str(config[button]) for button, _ in BUTTONS})


def menu() -> dict[str, Any]:
    """A Cloud API message with reply buttons (at most 3, titles up to 20 characters)."""
    buttons = [{"type": "reply", "reply": {"id": id_, "title": title}} for id_, title in BUTTONS]
    return {"type": "interactive",
            "interactive": {"type": "button", "body": {"text": "How can I help?"},
                            "action": {"buttons": buttons}}}


@hookimpl
def startup(bot: Bot) -> None:
    bot.state[PLUGIN] = Menu.from_config(bot.config(PLUGIN))


@hookimpl
def reply_for_message(bot: Bot, message: Message) -> Reply | None:
    """The menu for a menu word or a first contact, the answer for a tapped button; None lets
    the next plugin in enabled_plugins answer."""
    settings: Menu = bot.state[PLUGIN]
    if message.type == "request_welcome":
        return menu()
    if message.type == "text" and (message.text or "").strip().lower() in settings.words:
        return menu()
    if message.type == "interactive" and message.reply_id is not None:
        return settings.answers.get(message.reply_id)
    return None
