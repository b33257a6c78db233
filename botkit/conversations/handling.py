"""One plugin handling one event, with its effects committed once.

The dispatcher runs each plugin target through :meth:`HandlingRunner.run`. The first attempt
calls the handler with a :class:`Handling` in context: what it changes (conversation state,
timers, handoff) and what it asks to send is collected, then committed in one step with the mark
"event handled by this plugin". Only then are the messages sent, each bracketed in the outbox
(see :mod:`.outbox`). A later attempt at the same event (a failed send retried, a redelivery
after a crash) finds the mark and does not call the handler again: it only finishes sending.
A handler that raises commits nothing, so its retry starts from the state before the event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from botkit.conversations.context import current_handling
from botkit.conversations.conversation import Conversation
from botkit.conversations.handoff import handoff_changes
from botkit.conversations.outbox import send_outbox
from botkit.conversations.records import Changes, ModeChange, OutboxItem
from botkit.events import Event, Message
from botkit.store.records import StoredEvent

if TYPE_CHECKING:
    from botkit.bot import Bot

class Handling:
    """The effects of one handler run, before they are committed."""

    def __init__(self, bot: Bot, stored: StoredEvent, event: Event, plugin: str,
                 conversation: str | None = None) -> None:
        self.bot = bot
        self.stored = stored
        self.event = event
        self.plugin = plugin
        #: The business number that received the event (its settings apply in the handler).
        self.number = event.phone_number_id
        self.key = conversation or stored.conversation
        self.now = bot.clock()
        self.changes = Changes()
        self._conversation: Conversation | None = None

    async def conversation(self) -> Conversation:
        """The event's conversation as this plugin sees it (loaded on first use)."""
        if self._conversation is None:
            store = self.bot.conversations
            key = self.key
            info = await store.info(key)
            saved = await store.plugin_state(key, self.plugin)
            self._conversation = Conversation(
                key, self.plugin, _with_event_time(info, self.event), saved, self.changes,
                self.now, handoff_ttl=self.bot.settings.conversations.handoff_ttl_seconds,
                queue=self._queue_for_conversation)
        return self._conversation

    def queue(self, phone_number_id: str, to: str | None, body: Mapping[str, Any], *,
              recipient: str | None = None,
              fallback: Mapping[str, Any] | None = None) -> OutboxItem:
        """Keep a message to send once the handler's effects are committed."""
        item = OutboxItem(len(self.changes.outbox), phone_number_id, to, recipient, dict(body),
                          dict(fallback) if fallback is not None else None)
        self.changes.outbox.append(item)
        return item

    def _queue_for_conversation(self, phone_number_id: str, to: str | None,
                                recipient: str | None, body: dict[str, Any],
                                fallback: Mapping[str, Any] | None) -> OutboxItem:
        return self.queue(phone_number_id, to, body, recipient=recipient, fallback=fallback)

    def finish(self) -> None:
        if self._conversation is not None:
            self._conversation.finish()
        mode = self.changes.mode
        if mode is not None:
            self.changes_for_mode(mode)

    def changes_for_mode(self, mode: ModeChange) -> None:
        """A handoff also stores its ``handoff_*`` event and, with a TTL, its expiry timer."""
        extra = handoff_changes(f"{self.stored.key}:{self.plugin}", self.key, mode, self.now)
        self.changes.events += extra.events
        self.changes.timers += extra.timers


def _with_event_time(info: Any, event: Event) -> Any:
    """The window counts from the latest inbound message, this one included (it may not be
    recorded yet: that write is not on the dispatch path)."""
    from dataclasses import replace

    if isinstance(event, Message) and event.timestamp is not None and (
            info.last_inbound_at is None or event.timestamp > info.last_inbound_at):
        return replace(info, last_inbound_at=float(event.timestamp))
    return info


class HandlingRunner:
    """Runs plugin targets with committed effects (used by the dispatcher's delivery)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def run(self, stored: StoredEvent, event: Event, plugin: str,
                  invoke: Callable[[Event], Awaitable[None]],
                  committed: dict[str, list[OutboxItem]], *,
                  conversation: str | None = None) -> None:
        """Call ``invoke`` unless an earlier attempt committed; then send what is unsent.

        ``committed`` remembers, per plugin, what this process committed for this event, so a
        retry within the same dispatch need not read the store.
        """
        store = self.bot.conversations
        outbox = committed.get(plugin)
        if outbox is None and stored.attempt > 1:
            prior = await store.prior(stored.key, plugin)
            if prior.handled:
                outbox = committed[plugin] = prior.outbox
        if outbox is None:
            handling = Handling(self.bot, stored, event, plugin, conversation)
            token = current_handling.set(handling)
            try:
                await invoke(event)
            finally:
                current_handling.reset(token)
            handling.finish()
            if handling.changes.empty:
                return
            await store.commit(stored.key, plugin, handling.key, handling.changes, handling.now)
            outbox = committed[plugin] = handling.changes.outbox
            if handling.changes.mode is not None or handling.changes.events:
                self.bot.wake_dispatch()
        if outbox:
            await send_outbox(self.bot, stored, event, plugin, outbox,
                              conversation=conversation or stored.conversation)
