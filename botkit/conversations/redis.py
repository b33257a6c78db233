"""Conversations on the Redis store: beside its event streams, under the same key prefix.

Every change is one Lua script (see ``_redis_scripts``), so it is atomic across all the
processes that share the store, as the SQLite writer's transactions are within one process.
A handler's commit writes its ``handled`` mark, state, timers, outbox, the conversation's mode
and its events (appended like the store's own appends: same partition, same dedupe marker) or
nothing at all. Firing a timer removes it and appends its ``timer`` event in one script, so
several processes firing at once, or a crash at any moment, still give one event per timer.

Keys (``<ns>`` is the store's prefix) and how long each lives::

    <ns>:conversation:<key>    hash: mode, handoff_until/by/reason, last_inbound_at, updated_at;
                               expires ``keep_seconds`` (30 days) after its last change, never
                               while a person has the conversation
    <ns>:customer:<customer>   sorted set: the customer's conversation keys, each kept as long
                               as its row (score: when it lapses); expires with its last entry
    <ns>:humans                sorted set: conversations a person has, by when they took it;
                               an entry leaves at the hand-back
    <ns>:dialog:<key>          hash: plugin -> its dialog state; expires ``keep_seconds`` after
                               its last change (later if a state's own expiry is later)
    <ns>:handling:<event key>  hash: ``handled:<plugin>``, ``item:<i>:<plugin>`` and
                               ``status:<i>:<plugin>`` (the outbox); expires after the store's
                               dedupe window, like the event's dedupe marker
    <ns>:timers                sorted set: pending timer ids by due time
    <ns>:timer-specs           hash: timer id -> spec, pending timers only
    <ns>:conv-timers:<key>     sorted set: one conversation's pending timer ids by due time

Fired and cancelled timers are removed from all three timer keys in the same script, so those
hold pending timers only; their events live on in the store's streams and history.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from redis.exceptions import NoScriptError, RedisError

from botkit.conversations import _redis_keys as layout
from botkit.conversations._redis_keys import DEFAULT_KEEP_SECONDS, ROW_FIELDS, ConversationKeys
from botkit.conversations._redis_scripts import SCRIPTS
from botkit.conversations.records import (
    Changes,
    ConversationInfo,
    ModeChange,
    OutboxItem,
    PluginState,
    PriorHandling,
    TimerSpec,
)
from botkit.conversations.sqlite import timer_event_payload
from botkit.conversations.store import ConversationStore
from botkit.errors import StoreError
from botkit.store.records import EventRecord
from botkit.store.redis import RedisStore


class RedisConversations(ConversationStore):
    """The conversation side of a :class:`RedisStore`, shared by all its processes."""

    def __init__(self, store: RedisStore, *, keep_seconds: float = DEFAULT_KEEP_SECONDS) -> None:
        self.store = store
        self.keys = ConversationKeys(store.keys.prefix)
        self.keep_seconds = max(1, int(keep_seconds))

    # -- reading ----------------------------------------------------------------------------

    async def info(self, conversation: str) -> ConversationInfo:
        with self._failures("read a conversation from"):
            values = await self.store.client.hmget(self.keys.row(conversation), ROW_FIELDS)
        return layout.info_from_row(conversation, values)

    async def plugin_state(self, conversation: str, plugin: str) -> PluginState:
        with self._failures("read dialog state from"):
            value = await self.store.client.hget(self.keys.dialog(conversation), plugin)
        return layout.state_from_value(value)

    async def prior(self, event_key: str, plugin: str) -> PriorHandling:
        with self._failures("read an event's handling from"):
            fields = await self.store.client.hgetall(self.keys.handling(event_key))
        handled = any(layout.text(name) == layout.handled_field(plugin) for name in fields)
        return PriorHandling(handled, layout.outbox_from_fields(fields, plugin))

    async def handoffs(self, now: float) -> list[ConversationInfo]:
        client = self.store.client
        with self._failures("read handoffs from"):
            conversations = layout.members(await client.zrange(self.keys.humans, 0, -1))
            pipe = client.pipeline(transaction=False)
            for conversation in conversations:
                pipe.hmget(self.keys.row(conversation), ROW_FIELDS)
            rows = await pipe.execute() if conversations else []
        infos = [layout.info_from_row(conversation, values)
                 for conversation, values in zip(conversations, rows, strict=True)]
        return [info for info in infos if info.with_human(now)]

    async def next_timer_due(self) -> float | None:
        with self._failures("read timers from"):
            first = await self.store.client.zrange(self.keys.due, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def timers(self, conversation: str | None = None) -> list[TimerSpec]:
        index = self.keys.conversation_timers(conversation) if conversation else self.keys.due
        client = self.store.client
        with self._failures("read timers from"):
            ids = layout.members(await client.zrange(index, 0, -1))
            specs = await client.hmget(self.keys.specs, ids) if ids else []
        return [layout.spec_from_value(spec) for spec in specs if spec is not None]

    async def customer_conversations(self, customer: str) -> list[str]:
        with self._failures("read conversations from"):
            keys = layout.members(
                await self.store.client.zrange(self.keys.customer_index(customer), 0, -1))
        # Entries lapse with their rows; one may outlive its row by a moment, never the reverse.
        return sorted(key for key in keys if key.endswith(f":{customer}"))

    # -- writing ----------------------------------------------------------------------------

    async def commit(self, event_key: str, plugin: str, conversation: str,
                     changes: Changes, now: float) -> None:
        """One script; refused before its first write when the plugin handled the event already.

        Only the conversations of timers cancelled by id are read beforehand (they name the
        index a timer leaves): a timer's spec never changes, and the script cancels only timers
        still pending when it runs, so nothing read here can be stale in a way that matters.
        """
        keys = self.keys
        cancelled = await self._pending_conversations(changes.cancelled_timers)
        append_keys, append_args = self._append_call(changes.events, now)
        state_action, state_value, dialog_ttl = self._state_args(changes, now)
        mode = changes.mode
        script_keys = [keys.handling(event_key), keys.row(conversation),
                       keys.humans, keys.customer(conversation), keys.dialog(conversation),
                       keys.due, keys.specs, keys.conversation_timers(conversation)]
        script_keys += [keys.conversation_timers(owner) for _, owner in cancelled]
        script_keys += [keys.conversation_timers(t.conversation) for t in changes.timers]
        script_keys += append_keys
        outbox = layout.outbox_fields(changes.outbox, plugin)
        args: list[Any] = [
            plugin, layout.handled_field(plugin), repr(now), self.store.dedupe_seconds,
            self.keep_seconds, state_action, state_value, dialog_ttl,
            "" if mode is None else mode.mode,
            *self._mode_args(mode), conversation,
            len(changes.cancelled_names), len(cancelled), len(changes.timers),
            len(outbox) // 2, len(append_keys), len(append_args),
            *changes.cancelled_names, *(timer_id for timer_id, _ in cancelled)]
        for timer in changes.timers:
            args += [timer.id, repr(float(timer.due_at)), layout.spec_value(timer)]
        args += [*outbox, *append_args]
        result = await self._run("commit", script_keys, args, "commit conversation changes to")
        if result == 0:
            raise StoreError(f"{event_key} was handled by {plugin} already")
        if result == -1:
            raise StoreError(f"a timer of {event_key} by {plugin} has the id of a pending timer")

    async def mark_sent(self, event_key: str, plugin: str, item: OutboxItem,
                        now: float) -> None:
        await self._run("mark_sent", [self.keys.handling(event_key)],
                        [layout.item_field(item.index, plugin),
                         layout.status_field(item.index, plugin), layout.status_value(item),
                         self.store.dedupe_seconds], "record a send on")

    async def set_mode(self, conversation: str, change: ModeChange, now: float) -> bool:
        keys = self.keys
        written, was, until = await self._run(
            "set_mode", [keys.row(conversation), keys.humans, keys.customer(conversation)],
            [conversation, change.mode, *self._mode_args(change), repr(now), self.keep_seconds],
            "hand over a conversation on")
        if not written:
            return False
        before = ConversationInfo(conversation, "human" if was == b"human" else "bot",
                                  float(until) if until else None)
        # A hand-back after the TTL ran out changes the row, not who has the conversation.
        return before.with_human(now) != (change.mode == "human")

    async def note_inbound(self, conversation: str, timestamp: float) -> None:
        await self._run("note_inbound",
                        [self.keys.row(conversation), self.keys.customer(conversation)],
                        [conversation, repr(float(timestamp)), self.keep_seconds],
                        "record an inbound message on")

    async def cancel_timer(self, timer_id: str, now: float) -> bool:
        pending = await self._pending_conversations([timer_id])
        if not pending:
            return False
        [(_, conversation)] = pending
        keys = self.keys
        return bool(await self._run(
            "cancel", [keys.due, keys.specs, keys.conversation_timers(conversation)],
            [timer_id], "cancel a timer on"))

    async def fire_due_timers(self, now: float, limit: int = 100) -> int:
        """Each due timer is removed and its event appended in one script; a timer that another
        process fired or cancelled since it was read here is skipped by the script."""
        client = self.store.client
        with self._failures("read due timers from"):
            ids = layout.members(await client.zrangebyscore(self.keys.due, "-inf", repr(now),
                                                            start=0, num=limit))
            specs = await client.hmget(self.keys.specs, ids) if ids else []
        timers = [layout.spec_from_value(spec) for spec in specs if spec is not None]
        if not timers:
            return 0
        keys: list[str] = [self.keys.due, self.keys.specs]
        args: list[Any] = []
        for timer in timers:
            record = EventRecord(f"timer:{timer.id}", "timer", timer.conversation,
                                 int(timer.due_at), timer_event_payload(timer))
            append_keys, append_args = self._append_call([record], now)
            keys += [self.keys.conversation_timers(timer.conversation), *append_keys]
            args += [timer.id, len(append_keys), len(append_args), *append_args]
        return int(await self._run("fire", keys, args, "fire timers on"))

    # -- helpers ----------------------------------------------------------------------------

    async def _pending_conversations(self, timer_ids: list[str]) -> list[tuple[str, str]]:
        """(id, conversation) of the timers among ``timer_ids`` that are pending (their
        conversation names the index they are removed from; a spec never changes)."""
        if not timer_ids:
            return []
        with self._failures("read timers from"):
            specs = await self.store.client.hmget(self.keys.specs, timer_ids)
        return [(timer_id, layout.spec_from_value(spec).conversation)
                for timer_id, spec in zip(timer_ids, specs, strict=True) if spec is not None]

    def _append_call(self, records: list[EventRecord],
                     now: float) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV of the event store's append script for ``records``."""
        if not records:
            return [], []
        return self.store.append_call(records, now)

    def _state_args(self, changes: Changes, now: float) -> tuple[str, bytes, int]:
        """(action, value, how long the dialog hash must live at least) of a state change."""
        if not changes.state_changed:
            return "", b"", 0
        state = changes.state
        if state is None or (state.state is None and not state.data):
            return "delete", b"", 0
        ttl = self.keep_seconds
        if state.expires_at is not None:
            ttl = max(ttl, math.ceil(state.expires_at - now))
        return "set", layout.state_value(state), ttl

    @staticmethod
    def _mode_args(change: ModeChange | None) -> list[str]:
        if change is None or change.mode == "bot":
            return ["", "", ""]
        return [layout.optional(change.until), layout.optional(change.by),
                layout.optional(change.reason)]

    async def _run(self, name: str, keys: list[str], args: list[Any], action: str) -> Any:
        """Run one script (loading it first when Redis does not know it: a restart, a new
        server after a failover)."""
        script = SCRIPTS[name]
        client = self.store.client
        with self._failures(action):
            try:
                return await client.evalsha(script.sha, len(keys), *keys, *args)
            except NoScriptError:
                await client.script_load(script.source)
                return await client.evalsha(script.sha, len(keys), *keys, *args)

    @contextlib.contextmanager
    def _failures(self, action: str) -> Iterator[None]:
        """Redis and network errors as one StoreError naming the server, not the password."""
        try:
            yield
        except (RedisError, OSError) as exc:
            lines = str(exc).strip().splitlines()
            reason = f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__
            raise StoreError(f"cannot {action} Redis at {self.store.options.shown}: "
                             f"{reason}") from None
