"""{{ cookiecutter.description }}.

A botkit plugin: the functions marked ``@hookimpl`` are its hooks (see botkit's hook reference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botkit import Message, Status, hookimpl

PLUGIN = "{{ cookiecutter.plugin_name }}"
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Settings:
    """The [plugins.{{ cookiecutter.plugin_name }}] table, with the defaults of config.schema.json."""

    keywords: frozenset[str] = frozenset({"hello", "hi"})
    reply: str = "Hello {name}! How can we help?"

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> Settings:
        keywords = table.get("keywords")
        return cls(
            keywords=frozenset(k.lower() for k in keywords) if keywords else cls.keywords,
            reply=table.get("reply", cls.reply),
        )


@hookimpl
def startup(bot) -> None:
    """Read the settings once; botkit has already checked them against config.schema.json."""
    bot.state[PLUGIN] = Settings.from_table(bot.config(PLUGIN))


@hookimpl
def reply_for_message(bot, message: Message) -> str | None:
    """Answer a text that contains one of the keywords; stay silent (None) otherwise."""
    settings: Settings = bot.state[PLUGIN]
    words = set(WORD.findall((message.text or "").lower()))
    if message.type != "text" or not words & settings.keywords:
        return None
    name = message.contact.name if message.contact and message.contact.name else "there"
    return settings.reply.replace("{name}", name)


@hookimpl
def status_received(bot, status: Status) -> None:
    """Log what happened to the messages the bot sent."""
    bot.log.info("%s: message %s is now %s", PLUGIN, status.id, status.status)
