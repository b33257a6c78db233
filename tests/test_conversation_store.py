"""The conversation stores behave alike: every behaviour runs on SQLite and on Redis.

On Redis a second store instance plays a second process (its own connection); on SQLite both
"processes" go through the one writer, as every process on one SQLite file must.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from samples import REDIS_URL, free_port

from botkit.conversations.handoff import apply_handoff, handoff_changes
from botkit.conversations.records import (
    Changes,
    ModeChange,
    OutboxItem,
    PluginState,
    PriorHandling,
    TimerSpec,
)
from botkit.conversations.redis import RedisConversations
from botkit.conversations.sqlite import SQLiteConversations, timer_event_payload
from botkit.conversations.store import ConversationStore
from botkit.errors import StoreError
from botkit.store.base import Store
from botkit.store.records import EventRecord, StoredEvent
from botkit.store.redis import RedisStore, partition_of
from botkit.store.sqlite import SQLiteStore

NOW = 1_800_000_000.0
CONV = "1000:5551234"
OTHER = "2000:5551234"
PLUGIN = "shop"


@dataclass
class Backend:
    """One backend under test: ``second`` is the same store as another process sees it."""

    name: str
    store: Store
    conversations: ConversationStore
    second: ConversationStore

    async def logged(self, conversation: str) -> list[tuple[str, str, int | None, bytes]]:
        """(key, kind, occurred_at, payload) of the events of ``conversation`` in the log."""
        store = self.store
        if isinstance(store, SQLiteStore):
            rows = await store.run_job(lambda conn: conn.execute(
                "SELECT key, kind, occurred_at, payload FROM events WHERE conversation = ? "
                "ORDER BY seq", (conversation,)).fetchall())
            return [(key, kind, occurred, bytes(payload)) for key, kind, occurred, payload in rows]
        assert isinstance(store, RedisStore)
        stream = store.keys.events(partition_of(conversation, store.options.partitions))
        return [(f[b"key"].decode(), f[b"kind"].decode(),
                 int(f[b"occurred_at"]) if f[b"occurred_at"] else None, f[b"payload"])
                for _, f in await store.client.xrange(stream)
                if f[b"conversation"] == conversation.encode()]


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request, tmp_path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        store = SQLiteStore(f"sqlite:///{tmp_path / 'bot.db'}")
        await store.open()
        conversations = SQLiteConversations(store.run_job)
        await conversations.open()
        yield Backend("sqlite", store, conversations, conversations)
        await store.close()
        return
    prefix = request.getfixturevalue("redis_prefix")
    first, second = (RedisStore(f"{REDIS_URL}?prefix={prefix}&partitions=4") for _ in range(2))
    await first.open()
    await second.open()
    yield Backend("redis", first, RedisConversations(first), RedisConversations(second))
    await first.close()
    await second.close()


def text_item(index: int, body: str, **extra) -> OutboxItem:
    return OutboxItem(index, "1000", "5551234", None, {"type": "text", "text": {"body": body}},
                      **extra)


def bodies(prior: PriorHandling) -> list[tuple[int, str, str, str | None]]:
    return [(i.index, i.body["text"]["body"], i.status, i.result) for i in prior.outbox]


def timer(timer_id: str, due: float, name: str = "remind", plugin: str = PLUGIN,
          conversation: str = CONV, **data) -> TimerSpec:
    return TimerSpec(timer_id, conversation, plugin, name, due, data)


async def claim_until(store: Store, count: int, timeout: float = 5.0) -> list[StoredEvent]:
    claimed: list[StoredEvent] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(claimed) < count and asyncio.get_running_loop().time() < deadline:
        claimed += await store.claim(100)
        await asyncio.sleep(0.02)
    return claimed


# -- commit and prior -------------------------------------------------------------------------

async def test_a_commit_is_seen_by_prior_with_its_outbox_in_order(backend):
    items = [text_item(i, f"m{i}") for i in range(12)]
    items[3] = OutboxItem(3, "1000", None, "BR.recipient", {"type": "text", "text": {"body": "m3"}},
                          fallback={"type": "template", "template": {"name": "hello"}})
    await backend.conversations.commit("message:w1", PLUGIN, CONV, Changes(outbox=items), NOW)

    prior = await backend.second.prior("message:w1", PLUGIN)
    assert prior.handled
    assert bodies(prior) == [(i, f"m{i}", "pending", None) for i in range(12)]
    assert prior.outbox[3].recipient == "BR.recipient" and prior.outbox[3].to is None
    assert prior.outbox[3].fallback == {"type": "template", "template": {"name": "hello"}}
    assert prior.outbox[0].phone_number_id == "1000" and prior.outbox[0].to == "5551234"
    assert await backend.second.prior("message:w1", "other") == PriorHandling(False, [])
    assert await backend.second.prior("message:w2", PLUGIN) == PriorHandling(False, [])


async def test_a_second_commit_of_one_event_by_one_plugin_is_refused_and_writes_nothing(backend):
    conversations = backend.conversations
    first = Changes(state=PluginState("one", {"n": 1}), state_changed=True,
                    timers=[timer("t-first", NOW + 60)], outbox=[text_item(0, "first")])
    await conversations.commit("message:w1", PLUGIN, CONV, first, NOW)
    second = Changes(state=PluginState("two", {"n": 2}), state_changed=True,
                     timers=[timer("t-second", NOW + 30)], cancelled_names=["remind"],
                     cancelled_timers=["t-first"],
                     outbox=[text_item(0, "second"), text_item(1, "more")],
                     mode=ModeChange("human", None, "ana", "asked for a person"),
                     events=[EventRecord("handoff:second", "handoff", CONV, int(NOW), b"{}")])

    with pytest.raises(StoreError, match="handled by shop already"):
        await backend.second.commit("message:w1", PLUGIN, CONV, second, NOW + 1)

    assert await conversations.plugin_state(CONV, PLUGIN) == PluginState("one", {"n": 1})
    assert bodies(await conversations.prior("message:w1", PLUGIN)) == [
        (0, "first", "pending", None)]
    assert [t.id for t in await conversations.timers()] == ["t-first"]
    assert (await conversations.info(CONV)).mode == "bot"
    assert await conversations.handoffs(NOW + 1) == []
    assert await backend.logged(CONV) == []
    # Another plugin commits its own effects of the same event.
    await backend.second.commit("message:w1", "other", CONV,
                                Changes(outbox=[text_item(0, "other")]), NOW)
    assert bodies(await conversations.prior("message:w1", "other")) == [
        (0, "other", "pending", None)]


async def test_a_commit_with_the_id_of_a_pending_timer_is_refused_and_writes_nothing(backend):
    conversations = backend.conversations
    await conversations.commit("message:w1", PLUGIN, CONV,
                               Changes(timers=[timer("t1", NOW + 60)]), NOW)
    clash = Changes(state=PluginState("s"), state_changed=True,
                    timers=[timer("t2", NOW + 5), timer("t1", NOW + 9)],
                    outbox=[text_item(0, "x")])
    with pytest.raises(StoreError):
        await backend.second.commit("message:w2", PLUGIN, CONV, clash, NOW)
    assert await conversations.prior("message:w2", PLUGIN) == PriorHandling(False, [])
    assert await conversations.plugin_state(CONV, PLUGIN) == PluginState()
    assert [(t.id, t.due_at) for t in await conversations.timers()] == [("t1", NOW + 60)]


# -- dialog state -----------------------------------------------------------------------------

async def test_state_is_set_expires_and_is_deleted(backend):
    conversations = backend.conversations
    assert await conversations.plugin_state(CONV, PLUGIN) == PluginState()
    asking = PluginState("asking", {"question": 2, "answers": ["a", None, 1.5]}, NOW + 60)
    await conversations.commit("e1", PLUGIN, CONV, Changes(state=asking, state_changed=True), NOW)
    saved = await backend.second.plugin_state(CONV, PLUGIN)
    assert saved == asking
    assert saved.current(NOW + 59) == asking
    assert saved.current(NOW + 60) == PluginState()
    assert await conversations.plugin_state(CONV, "other") == PluginState()
    assert await conversations.plugin_state(OTHER, PLUGIN) == PluginState()

    # Changes that do not touch the state leave it alone.
    await conversations.commit("e2", PLUGIN, CONV,
                               Changes(state=PluginState("ignored"), state_changed=False,
                                       outbox=[text_item(0, "x")]), NOW)
    assert await conversations.plugin_state(CONV, PLUGIN) == asking

    await conversations.commit("e3", PLUGIN, CONV,
                               Changes(state=PluginState(None, {"lang": "pt"}),
                                       state_changed=True), NOW)
    assert await conversations.plugin_state(CONV, PLUGIN) == PluginState(None, {"lang": "pt"})
    await conversations.commit("e4", PLUGIN, CONV,
                               Changes(state=PluginState(), state_changed=True), NOW)
    assert await conversations.plugin_state(CONV, PLUGIN) == PluginState()

    await conversations.commit("e5", "other", CONV,
                               Changes(state=PluginState("x"), state_changed=True), NOW)
    await conversations.commit("e6", "other", CONV, Changes(state=None, state_changed=True), NOW)
    assert await conversations.plugin_state(CONV, "other") == PluginState()


# -- timers -----------------------------------------------------------------------------------

async def test_timers_are_scheduled_and_cancelled_by_id_and_by_name(backend):
    conversations, second = backend.conversations, backend.second
    a = timer("a", NOW + 30, "remind", n=1, nested={"list": [1, {"x": None}]})
    b = timer("b", NOW + 10, "nudge")
    c = timer("c", NOW + 20, "nudge")
    d = timer("d", NOW + 40, "nudge", plugin="other")
    e = timer("e", NOW + 5, "nudge", conversation=OTHER)
    assert await conversations.next_timer_due() is None
    await conversations.commit("e1", PLUGIN, CONV, Changes(timers=[a, b, c, d, e]), NOW)

    assert await second.timers(CONV) == [b, c, a, d]
    assert await second.timers() == [e, b, c, a, d]
    assert await second.next_timer_due() == NOW + 5

    assert await second.cancel_timer("b", NOW) is True
    assert await conversations.cancel_timer("b", NOW) is False
    assert await conversations.cancel_timer("unknown", NOW) is False
    assert await conversations.timers(CONV) == [c, a, d]

    # By name: this plugin's timers of that name in this conversation, and no others.
    await second.commit("e2", PLUGIN, CONV, Changes(cancelled_names=["nudge"]), NOW)
    assert await conversations.timers(CONV) == [a, d]
    assert await conversations.timers(OTHER) == [e]

    # By id, an unknown id among them; a new timer of a cancelled name is kept.
    f = timer("f", NOW + 50, "remind")
    await conversations.commit("e3", PLUGIN, CONV,
                               Changes(cancelled_timers=["a", "zzz"], cancelled_names=["remind"],
                                       timers=[f]), NOW)
    assert await second.timers(CONV) == [d, f]
    assert await second.cancel_timer("e", NOW) is True
    assert await second.next_timer_due() == NOW + 40
    assert await second.timers() == [d, f]


async def test_due_timers_fire_once_into_the_event_log(backend):
    conversations, second = backend.conversations, backend.second
    specs = [timer(f"t{n}", NOW + n, n=n) for n in range(6)]
    await conversations.commit("e1", PLUGIN, CONV, Changes(timers=specs), NOW)

    fired = await asyncio.gather(conversations.fire_due_timers(NOW + 4),
                                 second.fire_due_timers(NOW + 4))
    assert sum(fired) == 5
    assert await conversations.fire_due_timers(NOW + 4) == 0
    assert await conversations.timers() == [specs[5]]
    assert await conversations.next_timer_due() == NOW + 5
    logged = await backend.logged(CONV)
    assert sorted(logged) == [(f"timer:t{n}", "timer", int(NOW + n),
                               timer_event_payload(specs[n])) for n in range(5)]
    # A cancelled timer never fires; the limit is kept.
    await conversations.commit("e2", PLUGIN, CONV,
                               Changes(timers=[timer(f"u{n}", NOW + 6) for n in range(3)]), NOW)
    assert await second.cancel_timer("u1", NOW) is True
    assert await conversations.fire_due_timers(NOW + 10, limit=2) == 2
    assert await conversations.fire_due_timers(NOW + 10, limit=2) == 1
    assert {key for key, *_ in await backend.logged(CONV)} == {
        *(f"timer:t{n}" for n in range(6)), "timer:u0", "timer:u2"}


async def test_many_racing_callers_fire_each_timer_once(backend):
    specs = [timer(f"t{n}", NOW + n % 7, conversation=f"1000:{n % 5}") for n in range(40)]
    await backend.conversations.commit("e1", PLUGIN, CONV, Changes(timers=specs), NOW)

    async def drain(store: ConversationStore) -> int:
        total = 0
        while fired := await store.fire_due_timers(NOW + 10, limit=3):
            total += fired
        return total

    callers = [backend.conversations, backend.second] * 3
    assert sum(await asyncio.gather(*(drain(c) for c in callers))) == 40
    keys = [key for n in range(5) for key, *_ in await backend.logged(f"1000:{n}")]
    assert sorted(keys) == sorted(f"timer:t{n}" for n in range(40))
    assert await backend.second.timers() == []
    assert await backend.second.next_timer_due() is None


async def test_fired_timers_are_claimed_by_the_store_like_any_event(backend):
    spec = timer("t1", NOW - 1, data_is="kept")
    await backend.conversations.commit("e1", PLUGIN, CONV, Changes(timers=[spec]), NOW)
    assert await backend.second.fire_due_timers(NOW) == 1
    [event] = await claim_until(backend.store, 1)
    assert (event.key, event.kind, event.conversation, event.payload, event.attempt) == (
        "timer:t1", "timer", CONV, timer_event_payload(spec), 1)
    await backend.store.settle(event, "done", [])


# -- handoff ----------------------------------------------------------------------------------

async def test_a_handoff_is_set_runs_out_and_is_handed_back(backend):
    conversations, second = backend.conversations, backend.second
    assert await conversations.set_mode(CONV, ModeChange("human", NOW + 100, "ana", "refund"),
                                        NOW) is True
    info = await second.info(CONV)
    assert (info.mode, info.handoff_until, info.handoff_by, info.handoff_reason) == (
        "human", NOW + 100, "ana", "refund")
    assert info.with_human(NOW + 99) and not info.with_human(NOW + 100)
    assert [i.key for i in await second.handoffs(NOW + 1)] == [CONV]
    assert await second.handoffs(NOW + 100) == []

    # Taken again while a person has it: the row changes, who has it does not.
    assert await second.set_mode(CONV, ModeChange("human", None, "bo"), NOW + 1) is False
    info = await conversations.info(CONV)
    assert (info.mode, info.handoff_until, info.handoff_by, info.handoff_reason) == (
        "human", None, "bo", None)
    assert info.with_human(NOW + 10**6)

    assert await conversations.set_mode(OTHER, ModeChange("human", NOW + 500, ""), NOW + 2)
    assert [i.key for i in await second.handoffs(NOW + 3)] == [CONV, OTHER]
    assert (await second.info(OTHER)).handoff_by == ""

    assert await second.set_mode(CONV, ModeChange("bot"), NOW + 3) is True
    info = await conversations.info(CONV)
    assert (info.mode, info.handoff_until, info.handoff_by, info.handoff_reason) == (
        "bot", None, None, None)
    assert await conversations.set_mode(CONV, ModeChange("bot"), NOW + 4) is False
    assert [i.key for i in await second.handoffs(NOW + 4)] == [OTHER]

    # A hand-back after the deadline: the row goes back to the bot, nobody's hands changed.
    assert await conversations.set_mode(OTHER, ModeChange("bot", by="ttl"), NOW + 600) is False
    assert (await second.info(OTHER)).mode == "bot"
    assert await second.handoffs(NOW) == []


async def test_a_handoff_commits_its_mode_event_and_expiry_timer_once(backend):
    conversations, second = backend.conversations, backend.second
    change = ModeChange("human", NOW + 60, "whatsapp business app", "echo")
    assert await apply_handoff(conversations, "echo:1", CONV, change, NOW) is True
    assert await apply_handoff(second, "echo:1", CONV, change, NOW) is False

    assert (await second.info(CONV)).with_human(NOW)
    expected = handoff_changes("echo:1", CONV, change, NOW)
    assert await second.timers(CONV) == expected.timers
    [event] = expected.events
    assert await backend.logged(CONV) == [(event.key, "handoff", int(NOW), event.payload)]

    # An event already in the log is not added again by a commit that carries it.
    await backend.store.append([EventRecord("handoff:known", "handoff", CONV, 1, b'{"a":1}')])
    await second.commit("e2", PLUGIN, CONV, Changes(
        events=[EventRecord("handoff:known", "handoff", CONV, 2, b'{"a":2}')]), NOW)
    assert [row for row in await backend.logged(CONV) if row[0] == "handoff:known"] == [
        ("handoff:known", "handoff", 1, b'{"a":1}')]


# -- inbound messages, sends, customers -------------------------------------------------------

async def test_note_inbound_keeps_the_latest_message_time(backend):
    conversations, second = backend.conversations, backend.second
    assert (await conversations.info(CONV)).last_inbound_at is None
    await conversations.note_inbound(CONV, NOW - 100)
    await second.note_inbound(CONV, NOW - 500)
    info = await conversations.info(CONV)
    assert info.last_inbound_at == NOW - 100
    assert info.window_closes_at() == NOW - 100 + 24 * 3600
    assert info.window_open(NOW) and info.mode == "bot"
    await second.note_inbound(CONV, NOW + 0.25)
    assert (await conversations.info(CONV)).last_inbound_at == NOW + 0.25

    # Noting a message leaves a handoff as it is.
    await conversations.set_mode(OTHER, ModeChange("human", NOW + 50, "ana"), NOW)
    await second.note_inbound(OTHER, NOW + 1)
    info = await conversations.info(OTHER)
    assert (info.mode, info.handoff_until, info.last_inbound_at) == ("human", NOW + 50, NOW + 1)


async def test_mark_sent_records_each_send_status(backend):
    conversations, second = backend.conversations, backend.second
    items = [text_item(0, "a"), text_item(1, "b")]
    await conversations.commit("message:w1", PLUGIN, CONV, Changes(outbox=items), NOW)

    items[0].status = "sending"
    await second.mark_sent("message:w1", PLUGIN, items[0], NOW)
    assert bodies(await conversations.prior("message:w1", PLUGIN)) == [
        (0, "a", "sending", None), (1, "b", "pending", None)]
    items[0].status, items[0].result = "sent", "wamid.OUT1"
    items[1].status, items[1].result = "failed", "window closed"
    await conversations.mark_sent("message:w1", PLUGIN, items[0], NOW)
    await second.mark_sent("message:w1", PLUGIN, items[1], NOW)
    assert bodies(await second.prior("message:w1", PLUGIN)) == [
        (0, "a", "sent", "wamid.OUT1"), (1, "b", "failed", "window closed")]

    # Items that were never committed stay unknown.
    await conversations.mark_sent("message:w1", PLUGIN, text_item(5, "c", status="sent"), NOW)
    await conversations.mark_sent("message:w1", "other", text_item(0, "c", status="sent"), NOW)
    await conversations.mark_sent("message:none", PLUGIN, text_item(0, "c", status="sent"), NOW)
    assert len((await second.prior("message:w1", PLUGIN)).outbox) == 2
    assert await second.prior("message:w1", "other") == PriorHandling(False, [])
    assert await second.prior("message:none", PLUGIN) == PriorHandling(False, [])


async def test_a_customers_conversations_are_found_by_their_wa_id(backend):
    conversations, second = backend.conversations, backend.second
    await conversations.note_inbound("2000:555", NOW)
    await second.note_inbound("1000:555", NOW)
    await conversations.note_inbound("1000:5550", NOW)
    await second.set_mode("3000:555", ModeChange("human", None, "ana"), NOW)
    assert await conversations.customer_conversations("555") == [
        "1000:555", "2000:555", "3000:555"]
    assert await second.customer_conversations("5550") == ["1000:5550"]
    assert await second.customer_conversations("999") == []


# -- racing attempts at one event ---------------------------------------------------------------

class Attempt:
    """One process running a plugin on an event, as delivery does: read what an earlier attempt
    committed, run the handler (read the state, change it), commit; after a refused commit,
    read again. Each ``step`` runs up to the next store call."""

    def __init__(self, name: str, store: ConversationStore, event: str,
                 conversation: str) -> None:
        self.name, self.store, self.event, self.conversation = name, store, event, conversation
        self.outcome: str | None = None
        self._steps = self._run()

    async def step(self) -> None:
        if self.outcome is None:
            await anext(self._steps, None)

    async def _run(self) -> AsyncIterator[None]:
        tries = 0
        while True:
            tries += 1
            prior = await self.store.prior(self.event, PLUGIN)
            yield
            if prior.handled:
                self.outcome = "skipped"
                return
            saved = await self.store.plugin_state(self.conversation, PLUGIN)
            yield
            tag = f"{self.name}-{tries}"
            changes = Changes(
                state=PluginState("counted", {"n": saved.data.get("n", 0) + 1, "by": tag}),
                state_changed=True,
                timers=[timer(f"{self.event}-{tag}", NOW + 60, conversation=self.conversation)],
                outbox=[text_item(0, f"from {tag}")],
                events=[EventRecord(f"handoff:{self.event}:{tag}", "handoff", self.conversation,
                                    int(NOW), b"{}")])
            try:
                await self.store.commit(self.event, PLUGIN, self.conversation, changes, NOW)
            except StoreError:
                yield
                continue
            self.outcome = tag
            return


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(turns=st.lists(st.sampled_from([0, 1]), max_size=14))
async def test_racing_attempts_at_one_event_apply_its_changes_once(backend, turns):
    event, conversation = f"message:{uuid.uuid4().hex}", f"1000:{uuid.uuid4().hex[:8]}"
    attempts = [Attempt("p0", backend.conversations, event, conversation),
                Attempt("p1", backend.second, event, conversation)]
    for turn in turns:
        await attempts[turn].step()
    while any(a.outcome is None for a in attempts):
        for attempt in attempts:
            await attempt.step()

    outcomes = [a.outcome for a in attempts]
    [winner] = [o for o in outcomes if o != "skipped"]
    store = backend.conversations
    assert await store.plugin_state(conversation, PLUGIN) == PluginState(
        "counted", {"n": 1, "by": winner})
    assert bodies(await store.prior(event, PLUGIN)) == [(0, f"from {winner}", "pending", None)]
    assert [t.id for t in await store.timers(conversation)] == [f"{event}-{winner}"]
    assert [key for key, *_ in await backend.logged(conversation)] == [
        f"handoff:{event}:{winner}"]


# -- Redis: nothing grows for ever ---------------------------------------------------------------

async def test_redis_keys_expire_or_hold_only_pending_work(redis_prefix):
    store = RedisStore(f"{REDIS_URL}?prefix={redis_prefix}&partitions=2", dedupe_seconds=9 * 86400)
    await store.open()
    try:
        conversations = RedisConversations(store, keep_seconds=7 * 86400)
        keys = conversations.keys
        client = store.client
        await conversations.commit("message:w1", PLUGIN, CONV, Changes(
            state=PluginState("s", {}, expires_at=NOW + 40 * 86400), state_changed=True,
            timers=[timer("t1", NOW)], outbox=[text_item(0, "a")]), NOW)
        await conversations.note_inbound(CONV, NOW)
        await apply_handoff(conversations, "cli:1", OTHER, ModeChange("human", None, "ana"), NOW)

        assert 9 * 86400 - 5 <= await client.ttl(keys.handling("message:w1")) <= 9 * 86400
        assert 7 * 86400 - 5 <= await client.ttl(keys.row(CONV)) <= 7 * 86400
        assert 40 * 86400 - 5 <= await client.ttl(keys.dialog(CONV)) <= 40 * 86400
        # A person has OTHER: its row and its customer's index stay while they do.
        assert await client.ttl(keys.row(OTHER)) == -1
        assert await client.ttl(keys.customer(OTHER)) == -1
        await apply_handoff(conversations, "cli:2", OTHER, ModeChange("bot"), NOW)
        assert 7 * 86400 - 5 <= await client.ttl(keys.row(OTHER)) <= 7 * 86400
        assert 7 * 86400 - 5 <= await client.ttl(keys.customer(OTHER)) <= 7 * 86400
        assert await client.zcard(keys.humans) == 0

        assert await conversations.fire_due_timers(NOW) == 1
        assert not await client.exists(keys.due, keys.specs, keys.conversation_timers(CONV))
    finally:
        await store.close()


async def test_redis_going_away_is_a_store_error_without_the_password(tmp_path):
    server = shutil.which("redis-server")
    assert server is not None, "redis-server is not installed"
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--requirepass", "s3cret"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = RedisStore(f"redis://:s3cret@127.0.0.1:{port}/0")
    try:
        for _ in range(250):
            with contextlib.suppress(StoreError):
                await store.open()
                break
            await asyncio.sleep(0.02)
        conversations = RedisConversations(store)
        await conversations.note_inbound(CONV, NOW)
        process.kill()
        process.wait()
        with pytest.raises(StoreError, match=rf"cannot read a conversation from Redis at "
                                             rf"redis://:\*\*\*@127\.0\.0\.1:{port}/0") as caught:
            await conversations.info(CONV)
        assert "s3cret" not in str(caught.value)
    finally:
        process.kill()
        process.wait()
        await store.close()
