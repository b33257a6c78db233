"""{{ cookiecutter.bot_name }}'s own plugin: a menu of reply buttons, and a question for the team
taken in two steps.

It is a router: each handler says with its filters which messages it wants, the first that
wants a message gets it, and what it returns is the reply. The question is a small dialog kept
in the conversation (``conversation.set_state``, ``conversation.data``; handlers of a step are
chosen by ``f.state``), which botkit stores together with each message it handled: the dialog
survives restarts and deploys, and a message Meta delivers twice never moves it on twice.

Change it into what your bot does: botkit's docs/routers.md lists every filter,
docs/conversations.md the conversation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botkit import Conversation, Message, Reply, Router, SkipHandler, hookimpl
from botkit import filters as f

if TYPE_CHECKING:
    from botkit import Bot

PLUGIN = "{{ cookiecutter.bot_name }}"
BUTTONS = (("hours", "Opening hours"), ("contact", "Talk to us"))
WAYS = (("call", "Call me"), ("write", "Write to me here"))
# The steps of the question dialog, and how long an unfinished one is kept.
ASKING, CHOOSING = "asking_question", "choosing_way"
DIALOG_SECONDS = 30 * 60
QUIET_TYPES = ("reaction", "system", "unsupported")

router = Router(PLUGIN)
message_received = router.message_received  # this plugin's messages go through the router


@dataclass(frozen=True)
class Settings:
    """The [plugins.{{ cookiecutter.bot_name }}] table, typed."""

    menu_words: frozenset[str]
    hours: str
    contact: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """From ``bot.config(PLUGIN)``: botkit has checked it against config.schema.json and
        filled in the schema's defaults (``menu_words``)."""
        return cls(menu_words=frozenset(word.lower() for word in config["menu_words"]),
                   hours=str(config["hours"]), contact=str(config["contact"]))


@hookimpl
def startup(bot: Bot) -> None:
    bot.state[PLUGIN] = Settings.from_config(bot.config(PLUGIN))


@router.outer_middleware
async def with_settings(handler: Callable[[Any, dict[str, Any]], Awaitable[Any]], event: Any,
                        data: dict[str, Any]) -> Any:
    """Give every handler the settings read at start-up, as its ``settings`` argument."""
    data["settings"] = data["bot"].state[PLUGIN]
    return await handler(event, data)


def buttons(text: str, choices: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """A Cloud API message with reply buttons (at most 3, titles up to 20 characters)."""
    return {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": text},
        "action": {"buttons": [{"type": "reply", "reply": {"id": id_, "title": title}}
                               for id_, title in choices]}}}


def name_of(message: Message) -> str:
    return message.contact.name if message.contact and message.contact.name else "there"


# -- the menu: any time ---------------------------------------------------------------------

@router.message(f.text.any(), priority=10)
def menu(message: Message, conversation: Conversation, settings: Settings) -> Reply:
    """A menu word shows the menu, and ends an unfinished question."""
    if (message.text or "").strip().lower() not in settings.menu_words:
        raise SkipHandler
    conversation.clear()
    return buttons("How can I help?", BUTTONS)


@router.message(f.message_type("request_welcome"))
def first_contact(message: Message) -> Reply:
    """A customer opens the chat for the first time."""
    return buttons("How can I help?", BUTTONS)


@router.button(f.button.id("hours"))
def hours(message: Message, settings: Settings) -> Reply:
    return settings.hours


# -- the question: two steps ------------------------------------------------------------------

@router.button(f.button.id("contact"))
def ask_question(message: Message, conversation: Conversation, settings: Settings) -> Reply:
    conversation.set_state(ASKING, {}, ttl=DIALOG_SECONDS)
    return settings.contact


@router.message(f.state(ASKING, CHOOSING) & f.text.equals("cancel", ignore_case=True))
def cancel(message: Message, conversation: Conversation) -> Reply:
    conversation.clear()
    return "Okay, forget it. Type menu whenever you need me."


@router.message(f.state(ASKING) & f.text.any())
def question_given(message: Message, conversation: Conversation) -> Reply:
    conversation.set_state(CHOOSING, {"question": (message.text or "").strip()},
                           ttl=DIALOG_SECONDS)
    return buttons("Got it. How should we get back to you?", WAYS)


@router.message(f.state(ASKING))
def question_please(message: Message) -> Reply:
    return "Please type your question (or cancel)."


@router.button(f.state(CHOOSING) & f.button.id(*(id_ for id_, _ in WAYS)))
def way_chosen(message: Message, conversation: Conversation) -> Reply:
    question = conversation.data.get("question", "your question")
    conversation.clear()
    how = "call you" if message.reply_id == "call" else "answer you right here"
    return f"Thanks {name_of(message)}! Someone from our team will {how} about: {question}"


@router.message(f.state(CHOOSING))
def way_please(message: Message) -> Reply:
    return buttons("Please tap one of the buttons (or type cancel).", WAYS)


# -- everything else ---------------------------------------------------------------------------

@router.message(~f.message_type(*QUIET_TYPES))
def anything_else(message: Message) -> Reply:
    """The last resort: registered last, so every handler above comes first."""
    return f"Thanks {name_of(message)}! Type menu to see what I can do."
