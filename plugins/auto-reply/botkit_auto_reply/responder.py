"""Choosing the reply for one inbound message: rules first, then the away or default reply."""

from __future__ import annotations

import logging
from typing import Any

from botkit import Message

from .rules import QUIET_TYPES
from .settings import AutoReplySettings

log = logging.getLogger("botkit.auto-reply")


def choose_reply(settings: AutoReplySettings, message: Message, now: float
                 ) -> str | dict[str, Any] | None:
    """The reply for ``message`` at unix time ``now``, or ``None`` to stay silent.

    The first matching rule wins. Otherwise, outside business hours the away reply is sent and
    during them the default reply; system, reaction and unsupported messages get neither.
    """
    for rule in settings.rules:
        if rule.matches(message):
            log.debug("rule %s answers %s", rule.name, message.id)
            return rule.reply.render(message)
    if message.type in QUIET_TYPES:
        return None
    hours = settings.business_hours
    if hours is not None and settings.away_reply is not None and not hours.is_open(now):
        return settings.away_reply.render(message)
    if settings.default_reply is not None:
        return settings.default_reply.render(message)
    return None
