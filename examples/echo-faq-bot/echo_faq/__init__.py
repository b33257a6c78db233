"""echo-faq: a list menu of questions, each answered with reply buttons; other text is echoed.

The conversation: a menu word (or a first contact) opens the list; picking a row sends the
answer with two buttons, "That helped" and "Other questions". Each step is a handler of the
router below, chosen by its filters; what a handler returns is the reply.

The package is the plugin (entry point ``echo-faq = "echo_faq"``): its ``startup`` hook reads
the settings, and its ``message_received`` hook is the router's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botkit import Message, Reply, Router, SkipHandler, hookimpl
from botkit import filters as f

from .faq import HELPFUL_PREFIX, MENU_BUTTON_ID, ROW_PREFIX, Faq

if TYPE_CHECKING:
    from botkit import Bot

PLUGIN = "echo-faq"
THANKS = "Glad it helped! Type menu whenever you have another question."

router = Router(PLUGIN)
message_received = router.message_received  # this plugin's messages go through the router


@hookimpl
def startup(bot: Bot) -> None:
    """Read the settings once; a problem the schema cannot see stops the bot here."""
    bot.state[PLUGIN] = Faq.from_config(bot.config(PLUGIN))


@router.outer_middleware
async def with_faq(handler: Callable[[Any, dict[str, Any]], Awaitable[Any]], event: Any,
                   data: dict[str, Any]) -> Any:
    """Give every handler the FAQ read at start-up, as its ``faq`` argument."""
    data["faq"] = data["bot"].state[PLUGIN]
    return await handler(event, data)


def customer_name(message: Message) -> str:
    return message.contact.name if message.contact and message.contact.name else "there"


@router.message(f.message_type("request_welcome"))
def first_contact(message: Message, faq: Faq) -> Reply:
    """A customer opens the chat for the first time: the menu."""
    return faq.menu(customer_name(message))


@router.button(f.button.id(MENU_BUTTON_ID))
def other_questions(message: Message, faq: Faq) -> Reply:
    return faq.menu(customer_name(message))


@router.button(f.button.prefix(HELPFUL_PREFIX))
def helped(message: Message, suffix: str, faq: Faq) -> Reply | None:
    """"That helped" under an answer; ``suffix`` is the question's id."""
    return THANKS if faq.find(suffix) is not None else None


@router.button(f.button.prefix(ROW_PREFIX))
def answer(message: Message, suffix: str, faq: Faq) -> Reply | None:
    """A picked row: its answer, or nothing for a question that is gone from the settings."""
    question = faq.find(suffix)
    return faq.answer(question) if question is not None else None


@router.message(f.text.any())
def menu(message: Message, faq: Faq) -> Reply:
    """A menu word opens the list; any other text is not this handler's (the next one)."""
    if (message.text or "").strip().lower() not in faq.menu_words:
        raise SkipHandler
    return faq.menu(customer_name(message))


@router.message(f.text.any())
def echo(message: Message, faq: Faq) -> Reply | None:
    """Everything else that was typed comes back; media, reactions and the rest stay
    unanswered (no handler takes them)."""
    if not faq.echo or not message.text:
        return None
    return faq.echo_prefix + message.text
