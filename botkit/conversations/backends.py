"""The conversation store for a bot's store: the same backend, the same file or server."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from botkit.conversations.store import ConversationStore
from botkit.errors import StoreError
from botkit.settings import StoreSettings
from botkit.store.base import Store

T = TypeVar("T")


def open_conversations(store: Store) -> ConversationStore:
    """Conversation state lives beside the event log of ``store`` (one backup, one truth)."""
    from botkit.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        from botkit.conversations.sqlite import SQLiteConversations

        return SQLiteConversations(store.run_job, store.insert_new_events)
    from botkit.conversations.redis import RedisConversations
    from botkit.store.redis import RedisStore

    if isinstance(store, RedisStore):
        return RedisConversations(store)
    raise TypeError(f"no conversation store for {type(store).__name__}")


async def open_conversations_admin(settings: StoreSettings) -> tuple[ConversationStore, Any]:
    """The conversation store for commands run beside a server: (store, closer).

    On SQLite each job runs in its own short transaction on its own connection (the server
    keeps writing through its own); on Redis it is the server's data, shared.
    """
    if settings.url.startswith("sqlite:"):
        from botkit.conversations.sqlite import SQLiteConversations
        from botkit.store.sqlite import run_in_own_transaction, sqlite_path

        path = sqlite_path(settings.url)
        if not path.exists():
            raise StoreError(f"no store at {path}: has the bot run here yet?")

        async def run(job: Callable[[sqlite3.Connection], T]) -> T:
            return await asyncio.to_thread(run_in_own_transaction, path, job)

        conversations = SQLiteConversations(run)
        await conversations.open()

        async def close_nothing() -> None:
            return None
        return conversations, close_nothing
    from botkit.store import open_store

    store = open_store(settings)
    await store.open()
    return open_conversations(store), store.close

