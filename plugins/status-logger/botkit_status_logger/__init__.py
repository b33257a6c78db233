"""status-logger: the status timeline of every message the business sent (sent, delivered,
read, played, failed), appended to a JSON lines file and kept queryable in SQLite."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botkit import Status, hookimpl

from .entries import StatusEntry, supersedes
from .journal import Journal
from .settings import PLUGIN, StatusLoggerSettings
from .timeline import StatusBook

if TYPE_CHECKING:
    import click

    from botkit import Bot

__all__ = ["StatusBook", "StatusEntry", "StatusLoggerSettings", "supersedes"]

STATE = PLUGIN


@dataclass
class StatusLogger:
    """What the plugin holds while the bot runs."""

    book: StatusBook
    journal: Journal

    def record(self, status: Status, now: float) -> bool:
        return self.book.record(StatusEntry.from_status(status), now, self.journal.write)

    def close(self) -> None:
        self.book.close()
        self.journal.close()


@hookimpl
async def startup(bot: Bot) -> None:
    settings = StatusLoggerSettings.from_config(bot.config(PLUGIN))
    logger = StatusLogger(StatusBook(settings.db_path), Journal(settings.path))
    await asyncio.to_thread(logger.book.open)
    try:
        await asyncio.to_thread(logger.journal.open)
    except OSError:
        await asyncio.to_thread(logger.book.close)
        raise
    bot.state[STATE] = logger


@hookimpl
async def shutdown(bot: Bot) -> None:
    logger: StatusLogger | None = bot.state.pop(STATE, None)
    if logger is not None:
        await asyncio.to_thread(logger.close)


@hookimpl
async def status_received(bot: Bot, status: Status) -> None:
    logger: StatusLogger = bot.state[STATE]
    await asyncio.to_thread(logger.record, status, bot.clock())


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import status

    cli.add_command(status)
