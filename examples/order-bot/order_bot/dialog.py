"""The order dialog: one small handler per step; the step lives in the conversation.

The step is this plugin's conversation state, committed together with the event that moved it
on, so a restarted bot, another instance or a redelivered webhook finds the order exactly where
it was and never moves it twice. Every step (re)schedules the timeout timer and remembers its id:
a timeout that fired just as the customer answered is recognised as stale and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from order_bot.settings import OrderSettings
from order_bot.texts import (
    ADDRESS_AGAIN,
    ADDRESS_QUESTION,
    ADDRESS_TOO_LONG,
    AGENT,
    CANCEL,
    CANCELLED,
    CONFIRM,
    HOW_TO_START,
    MAX_ADDRESS,
    PLACED,
    SIZES,
    TIMED_OUT,
    confirm_question,
    size_question,
)

if TYPE_CHECKING:
    from botkit import Bot, Conversation, Handoff, Message, Timer

ASK_SIZE, ASK_ADDRESS, ASK_CONFIRM = "size", "address", "confirm"
TIMEOUT = "order-timeout"


@dataclass(frozen=True, slots=True)
class Said:
    """What the customer said: the text as typed (trimmed), the same text folded for comparing,
    or the id of the button they tapped."""

    text: str | None
    word: str | None
    tap: str | None

    @classmethod
    def of(cls, message: Message) -> Said | None:
        """None for what is not part of a dialog (reactions, media, system messages)."""
        if message.type == "text" and message.text and message.text.strip():
            text = message.text.strip()
            return cls(text, text.casefold(), None)
        if message.reply_id:
            return cls(None, None, message.reply_id)
        return None


@dataclass(frozen=True, slots=True)
class Turn:
    """One event in one conversation: what the handlers below act on."""

    conversation: Conversation
    settings: OrderSettings

    def say(self, body: str | Mapping[str, Any]) -> None:
        """Everything the dialog says goes through here. The message is kept with this event's
        delivery record and sent once the handler has returned and its state change is
        committed: a retried or redelivered event never sends it twice, a handler that fails
        sends nothing. On the way botkit holds it back while a person has the chat, and
        outside the customer's 24-hour window sends the fallback template instead."""
        self.conversation.send(body, fallback=self.settings.fallback)

    def wait_for(self, step: str, data: Mapping[str, Any]) -> None:
        """Move to ``step`` and give the customer ``timeout_seconds`` to answer it."""
        conversation = self.conversation
        conversation.set_state(step, data)
        conversation.data["timeout"] = conversation.schedule(
            TIMEOUT, delay=self.settings.timeout_seconds)

    def end(self) -> None:
        self.conversation.clear()
        self.conversation.cancel(TIMEOUT)


Step = Callable[[Turn, Said], None]


def idle(turn: Turn, said: Said) -> None:
    if said.word == "order":
        turn.say(size_question())
        turn.wait_for(ASK_SIZE, {})
    else:
        turn.say(HOW_TO_START)


def choose_size(turn: Turn, said: Said) -> None:
    size = SIZES.get(said.tap or "")
    if size is None:
        turn.say(size_question())
        turn.wait_for(ASK_SIZE, {})
        return
    turn.say(ADDRESS_QUESTION.format(size=size))
    turn.wait_for(ASK_ADDRESS, {"size": size})


def take_address(turn: Turn, said: Said) -> None:
    size = turn.conversation.data["size"]
    if said.text is None:
        turn.say(ADDRESS_AGAIN)
        turn.wait_for(ASK_ADDRESS, {"size": size})
    elif len(said.text) > MAX_ADDRESS:
        turn.say(ADDRESS_TOO_LONG)
        turn.wait_for(ASK_ADDRESS, {"size": size})
    else:
        turn.say(confirm_question(size, said.text))
        turn.wait_for(ASK_CONFIRM, {"size": size, "address": said.text})


def confirm(turn: Turn, said: Said) -> None:
    order = dict(turn.conversation.data)
    if said.tap == CONFIRM or said.word == "confirm":
        turn.say(PLACED.format(size=order["size"], address=order["address"]))
        turn.end()
    elif said.tap == CANCEL or said.word == "cancel":
        turn.say(CANCELLED)
        turn.end()
    else:
        turn.say(confirm_question(order["size"], order["address"]))
        turn.wait_for(ASK_CONFIRM, {"size": order["size"], "address": order["address"]})


def ask_for_agent(turn: Turn, said: Said) -> None:
    turn.say(AGENT)
    turn.end()
    turn.conversation.hand_to_human(reason="the customer asked for an agent")


STEPS: dict[str | None, Step] = {None: idle, ASK_SIZE: choose_size, ASK_ADDRESS: take_address,
                                 ASK_CONFIRM: confirm}


async def on_message(bot: Bot, message: Message) -> None:
    said = Said.of(message)
    if said is None:
        return
    conversation = await bot.conversation()
    if conversation.mode == "human":
        return  # a person has the chat: the bot neither answers nor moves the order on
    turn = Turn(conversation, OrderSettings.of(bot))
    step = ask_for_agent if said.word == "agent" else STEPS.get(conversation.state, idle)
    step(turn, said)


async def on_timer(bot: Bot, timer: Timer) -> None:
    if timer.name != TIMEOUT:
        return
    conversation = await bot.conversation()
    if conversation.state is None or conversation.data.get("timeout") != timer.timer_id:
        return  # the customer answered in time, or the order ended
    turn = Turn(conversation, OrderSettings.of(bot))
    turn.end()
    if conversation.mode != "human":
        turn.say(TIMED_OUT)


async def on_handoff_started(bot: Bot, handoff: Handoff) -> None:
    """A person took the chat (the customer asked, or the business answered from the WhatsApp
    Business app): the order dialog ends quietly."""
    conversation = await bot.conversation()
    if conversation.state is not None:
        conversation.clear()
        conversation.cancel(TIMEOUT)
