"""The send policy of ``bot.whatsapp``: no free-form message outside the 24-hour window.

Messages handlers queue in the outbox get the conversation's full rules there (handoff, the
window, their own fallback). A plugin that calls ``bot.whatsapp.send(...)`` directly gets the
window too: a free-form message to a customer whose window is closed is replaced by the
configured fallback template (``[conversations] fallback_template``) or refused with
:class:`~botkit.conversations.outbox.WindowClosed`, so Meta's 131047 is never asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from botkit.conversations.outbox import WindowClosed, configured_fallback

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit.outbox")


def window_policy(bot: Bot) -> Callable[[str, str, Mapping[str, Any]],
                                        Awaitable[Mapping[str, Any]]]:
    """The policy the bot installs on its client."""
    async def policy(phone_number_id: str, customer: str,
                     message: Mapping[str, Any]) -> Mapping[str, Any]:
        if message.get("type") == "template":
            return message
        info = await bot.conversations.info(f"{phone_number_id}:{customer}")
        if info.window_open(bot.clock()):
            return message
        fallback = configured_fallback(bot, phone_number_id)
        if fallback is None:
            raise WindowClosed(f"the customer's 24-hour window is closed; a free-form "
                               f"{message.get('type')} message was not sent (set "
                               "[conversations] fallback_template, or send a template)")
        log.info("window closed: sending the fallback template instead of a %s message",
                 message.get("type"))
        return fallback
    return policy
