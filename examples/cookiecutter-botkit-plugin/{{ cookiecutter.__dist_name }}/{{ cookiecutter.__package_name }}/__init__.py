"""{{ cookiecutter.description }}.

A botkit plugin built on a router: each handler below says with its filters which events it
wants, and what a message handler returns is the reply. The package is the plugin (its entry
point names it); the hooks it hands to the router (``message_received``, ``status_received``)
route every event of their kind, and ``startup`` is a hook of its own. Everything comes from
``botkit`` itself, the typed public API, so ``mypy --strict`` checks it all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botkit import Message, Reply, Router, SkipHandler, Status, hookimpl
from botkit import filters as f

if TYPE_CHECKING:
    from botkit import Bot

PLUGIN = "{{ cookiecutter.plugin_name }}"
WORD = re.compile(r"\w+")

router = Router(PLUGIN)
message_received = router.message_received
status_received = router.status_received


@dataclass(frozen=True)
class Settings:
    """The [plugins.{{ cookiecutter.plugin_name }}] table, typed."""

    keywords: frozenset[str]
    reply: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """From ``bot.config(PLUGIN)``: botkit has checked it against config.schema.json and
        filled in the schema's defaults, so every key is there."""
        return cls(keywords=frozenset(k.lower() for k in config["keywords"]),
                   reply=str(config["reply"]))


@hookimpl
def startup(bot: Bot) -> None:
    """Read the settings once, when the bot starts."""
    bot.state[PLUGIN] = Settings.from_config(bot.config(PLUGIN))


@router.message(f.text.any())
def greet(message: Message, bot: Bot) -> Reply:
    """Answer a text that contains one of the keywords; pass any other on (SkipHandler), so
    that it gets no reply from this plugin."""
    settings: Settings = bot.state[PLUGIN]
    if not set(WORD.findall((message.text or "").lower())) & settings.keywords:
        raise SkipHandler
    name = message.contact.name if message.contact and message.contact.name else "there"
    return settings.reply.replace("{name}", name)


@router.status()
def log_status(status: Status, bot: Bot) -> None:
    """Log what happened to the messages the bot sent."""
    bot.log.info("%s: message %s is now %s", PLUGIN, status.id, status.status)
