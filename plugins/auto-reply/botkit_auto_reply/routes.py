"""The plugin's router: a handler per rule, in the order of the rules, then the away or the
default reply for what no rule answers.

Built from the settings when the bot starts, and asked from ``reply_for_message``: auto-reply
answers in that hook's chain (the first plugin in ``enabled_plugins`` with a reply wins), so a
plugin listed before it can still answer first, and botkit sends the reply it chose once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from botkit import Message, Reply, Router
from botkit import filters as f

from .rules import QUIET_TYPES, Rule
from .settings import PLUGIN, AutoReplySettings

if TYPE_CHECKING:
    from botkit import Bot

log = logging.getLogger("botkit.auto-reply")


def build_router(settings: AutoReplySettings) -> Router:
    """One handler per rule (first match wins), then the fallback for everything but the quiet
    message types."""
    router = Router(PLUGIN)
    for rule in settings.rules:
        log.debug("rule %s answers %r", rule.name, rule.filter)
        router.message(rule.filter)(_answer(rule))

    @router.message(~f.message_type(*QUIET_TYPES))
    def away_or_default(message: Message, bot: Bot) -> Reply | None:
        """Outside business hours the away reply, during them the default reply."""
        hours = settings.business_hours
        if hours is not None and settings.away_reply is not None and not hours.is_open(
                bot.clock()):
            return settings.away_reply.render(message)
        if settings.default_reply is not None:
            return settings.default_reply.render(message)
        return None

    return router


def _answer(rule: Rule) -> Callable[[Message], Reply | None]:
    def answer(message: Message) -> Reply | None:
        log.debug("rule %s answers %s", rule.name, message.id)
        return rule.reply.render(message)
    answer.__name__ = answer.__qualname__ = f"rule {rule.name}"
    return answer
