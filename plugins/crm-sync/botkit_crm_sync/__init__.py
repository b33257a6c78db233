"""crm-sync: keeps a contact record per WhatsApp customer in a SQLite contact book, and with
the http backend upserts every changed record to a CRM's REST endpoint."""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botkit import Contact, FieldEvent, Message, hookimpl

from .book import ContactBook
from .crm_http import CrmClient
from .records import ContactRecord
from .settings import PLUGIN, CrmSyncSettings
from .sightings import Sighting, from_contact, from_message, from_preferences

if TYPE_CHECKING:
    import click

    from botkit import Bot

__all__ = ["ContactBook", "ContactRecord", "CrmClient", "CrmSyncSettings"]

STATE = PLUGIN


# Upserts of one customer are sent one at a time, so the CRM never gets an older record after
# a newer one; a fixed set of locks keeps memory flat however many customers there are.
UPSERT_LOCKS = 64


@dataclass
class CrmSync:
    """What the plugin holds while the bot runs."""

    book: ContactBook
    crm: CrmClient | None = None
    locks: tuple[asyncio.Lock, ...] = field(
        default_factory=lambda: tuple(asyncio.Lock() for _ in range(UPSERT_LOCKS)))

    async def record(self, sighting: Sighting | None, now: float) -> None:
        """Apply the sighting to the book once, then (every time) upsert the customer's current
        record: a retry after a failed upsert sends it again under the same idempotency key."""
        if sighting is None:
            return
        record = await asyncio.to_thread(self.book.record, sighting, now)
        if record is None or self.crm is None:
            return
        async with self.locks[zlib.crc32(record.customer_id.encode()) % len(self.locks)]:
            current = await asyncio.to_thread(self.book.find, record.wa_id, record.user_id)
            await self.crm.upsert((current or record).as_dict(), sighting.key)


@hookimpl
async def startup(bot: Bot) -> None:
    settings = CrmSyncSettings.from_config(bot.config(PLUGIN))
    book = ContactBook(settings.path)
    await asyncio.to_thread(book.open, bot.clock())
    crm = None
    if settings.backend == "http" and settings.url is not None:  # the schema requires url
        crm = CrmClient(settings.url, auth_header=settings.auth_header,
                        auth_value=settings.auth, timeout=settings.timeout,
                        attempts=settings.attempts, backoff=settings.backoff)
    bot.state[STATE] = CrmSync(book, crm)


@hookimpl
async def shutdown(bot: Bot) -> None:
    sync: CrmSync | None = bot.state.pop(STATE, None)
    if sync is None:
        return
    if sync.crm is not None:
        await sync.crm.aclose()
    await asyncio.to_thread(sync.book.close)


@hookimpl
async def message_received(bot: Bot, message: Message) -> None:
    sync: CrmSync = bot.state[STATE]
    await sync.record(from_message(message, bot.clock()), bot.clock())


@hookimpl
async def contact_updated(bot: Bot, contact: Contact) -> None:
    sync: CrmSync = bot.state[STATE]
    await sync.record(from_contact(contact), bot.clock())


@hookimpl
async def event_received(bot: Bot, event: FieldEvent) -> None:
    sync: CrmSync = bot.state[STATE]
    for sighting in from_preferences(event):
        await sync.record(sighting, bot.clock())


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import contacts

    cli.add_command(contacts)
