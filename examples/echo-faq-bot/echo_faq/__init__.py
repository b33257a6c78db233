"""echo-faq: a list menu of questions, each answered with reply buttons; other text is echoed.

The conversation: a menu word (or a first contact) opens the list; picking a row sends the
answer with two buttons, "That helped" and "Other questions".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit import Message, Reply, hookimpl

from .faq import HELPFUL_PREFIX, MENU_BUTTON_ID, ROW_PREFIX, Faq

if TYPE_CHECKING:
    from botkit import Bot

PLUGIN = "echo-faq"
THANKS = "Glad it helped! Type menu whenever you have another question."


@hookimpl
def startup(bot: Bot) -> None:
    bot.state[PLUGIN] = Faq.from_config(bot.config(PLUGIN))


@hookimpl
def reply_for_message(bot: Bot, message: Message) -> Reply | None:
    faq: Faq = bot.state[PLUGIN]
    name = message.contact.name if message.contact and message.contact.name else "there"
    if message.type == "request_welcome":
        return faq.menu(name)
    if message.type == "interactive":
        return _choice(faq, message.reply_id, name)
    if message.type != "text" or not message.text:
        return None  # media, reactions, system messages: nothing to echo
    if message.text.strip().lower() in faq.menu_words:
        return faq.menu(name)
    return faq.echo_prefix + message.text if faq.echo else None


def _choice(faq: Faq, reply_id: str | None, name: str) -> Reply | None:
    """What a tapped list row or reply button leads to."""
    if reply_id == MENU_BUTTON_ID:
        return faq.menu(name)
    if faq.question(reply_id, HELPFUL_PREFIX) is not None:
        return THANKS
    question = faq.question(reply_id, ROW_PREFIX)
    return faq.answer(question) if question is not None else None
