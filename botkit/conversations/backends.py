"""The conversation store for a bot's store: the same backend, the same file or server."""

from __future__ import annotations

from botkit.conversations.store import ConversationStore
from botkit.store.base import Store


def open_conversations(store: Store) -> ConversationStore:
    """Conversation state lives beside the event log of ``store`` (one backup, one truth)."""
    from botkit.store.sqlite import SQLiteStore

    if isinstance(store, SQLiteStore):
        from botkit.conversations.sqlite import SQLiteConversations

        return SQLiteConversations(store.run_job)
    from botkit.conversations.redis import RedisConversations
    from botkit.store.redis import RedisStore

    if isinstance(store, RedisStore):
        return RedisConversations(store)
    raise TypeError(f"no conversation store for {type(store).__name__}")
