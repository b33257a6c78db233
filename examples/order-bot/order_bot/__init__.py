"""order-bot: a step-by-step order over WhatsApp that survives restarts and redeliveries.

The dialog: ``order`` offers two sizes as reply buttons, the tapped size asks for the delivery
address, the address is confirmed with Confirm / Cancel buttons. Silence at any step ends the
order after ``timeout_seconds``; ``agent`` hands the chat to a person. Every step is kept in the
conversation and committed with the event it answers, together with what the bot says (see
:mod:`order_bot.dialog`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit import hookimpl
from order_bot import dialog

if TYPE_CHECKING:
    from botkit import Bot, Handoff, Message, Timer


@hookimpl
async def message_received(bot: Bot, message: Message) -> None:
    await dialog.on_message(bot, message)


@hookimpl
async def timer_fired(bot: Bot, timer: Timer) -> None:
    await dialog.on_timer(bot, timer)


@hookimpl
async def handoff_started(bot: Bot, handoff: Handoff) -> None:
    await dialog.on_handoff_started(bot, handoff)
