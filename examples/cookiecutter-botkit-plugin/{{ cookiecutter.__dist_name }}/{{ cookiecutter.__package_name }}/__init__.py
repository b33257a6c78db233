"""{{ cookiecutter.description }}.

A botkit plugin: the functions marked ``@hookimpl`` are its hooks (see botkit's hook reference).
Everything it uses comes from ``botkit`` itself, the typed public API; ``mypy --strict`` checks
the hooks against it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botkit import Message, Reply, Status, hookimpl

if TYPE_CHECKING:
    from botkit import Bot

PLUGIN = "{{ cookiecutter.plugin_name }}"
WORD = re.compile(r"\w+")


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


@hookimpl
def reply_for_message(bot: Bot, message: Message) -> Reply | None:
    """Answer a text that contains one of the keywords; stay silent (None) otherwise."""
    settings: Settings = bot.state[PLUGIN]
    words = set(WORD.findall((message.text or "").lower()))
    if message.type != "text" or not words & settings.keywords:
        return None
    name = message.contact.name if message.contact and message.contact.name else "there"
    return settings.reply.replace("{name}", name)


@hookimpl
def status_received(bot: Bot, status: Status) -> None:
    """Log what happened to the messages the bot sent."""
    bot.log.info("%s: message %s is now %s", PLUGIN, status.id, status.status)
