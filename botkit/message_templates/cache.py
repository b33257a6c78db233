"""The local cache of an account's templates, beside the event log of the bot's store.

One backend per store (``backends`` picks it): SQLite tables in the store's file, written by its
writer thread, or a Redis hash per account under the store's key prefix. A send is checked
against this cache without a Graph call; ``botkit templates sync`` fills it, and the template
webhooks keep it current between syncs.
"""

from __future__ import annotations

import abc
from collections.abc import Callable

from botkit.message_templates.records import CachedTemplate

#: ``edit(current)`` returns the new record, or None to leave the cache as it is.
Edit = Callable[[CachedTemplate | None], CachedTemplate | None]


class TemplateCache(abc.ABC):
    """Templates by (account, name, language); every method is one atomic step."""

    async def open(self) -> None:  # noqa: B027 - only some backends need to prepare
        """Prepare storage (tables)."""

    @abc.abstractmethod
    async def named(self, waba_id: str, name: str) -> list[CachedTemplate]:
        """Every language of the template ``name``, by language."""

    @abc.abstractmethod
    async def all(self, waba_id: str | None = None) -> list[CachedTemplate]:
        """Every cached template (of one account), by account, name and language."""

    @abc.abstractmethod
    async def replace_account(self, waba_id: str, templates: list[CachedTemplate],
                              now: float) -> tuple[int, int]:
        """Make the account's cache exactly ``templates`` (a full sync): (kept or added,
        removed). Webhook notes of templates that stay are kept."""

    @abc.abstractmethod
    async def put(self, template: CachedTemplate) -> None:
        """Add or replace one template (after creating it)."""

    @abc.abstractmethod
    async def remove(self, waba_id: str, name: str, language: str | None = None) -> int:
        """Forget a template (one language, or all of them); how many were removed."""

    @abc.abstractmethod
    async def change(self, waba_id: str, name: str, language: str,
                     edit: Edit) -> CachedTemplate | None:
        """Read, edit and write one template atomically; the record written, if any."""

    @abc.abstractmethod
    async def synced_at(self, waba_id: str) -> float | None:
        """When the account was last synced in full (None: never)."""

    @abc.abstractmethod
    async def accounts(self) -> list[str]:
        """The accounts with templates or a sync in the cache."""
