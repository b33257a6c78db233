"""The Redis store against real Redis servers: dedupe across instances, claims, the ledger,
partition leases and takeover, quarantine, and clear errors when Redis cannot commit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import time

import pytest
import redis
from samples import REDIS_URL, free_port, payload_bytes

from botkit import StoreError
from botkit.store import _redis_leases, open_store
from botkit.store.records import Delivery, EventRecord, Reject
from botkit.store.redis import RedisStore, parse_redis_url, partition_of

REDIS_SERVER = shutil.which("redis-server")


def record(n: int, conversation: str = "c") -> EventRecord:
    return EventRecord(f"message:wamid.{n}", "message", conversation, 1,
                       json.dumps({"n": n}).encode())



@pytest.fixture
def prefix(redis_prefix):
    return redis_prefix


@pytest.fixture
async def stores(prefix):
    """``await make(**options)``: an open store on the shared Redis under the test's prefix."""
    opened: list[RedisStore] = []

    async def make(**options) -> RedisStore:
        query = "&".join(f"{k}={v}" for k, v in {"prefix": prefix, **options}.items())
        store = RedisStore(f"{REDIS_URL}?{query}")
        await store.open()
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


@pytest.fixture
def redis_servers(tmp_path):
    """``start(*args)`` runs a private redis-server on a free loopback port; for the tests that
    break Redis on purpose. Returns (port, process)."""
    if REDIS_SERVER is None:
        pytest.fail("redis-server is not installed")
    processes = []

    def start(*args: str) -> tuple[int, subprocess.Popen]:
        port = free_port()
        folder = tmp_path / f"redis-{port}"
        folder.mkdir()
        process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--repl-diskless-sync-delay", "0",
             *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()
        return port, process

    yield start
    for process in processes:
        process.kill()
        process.wait()


async def abandon(store: RedisStore) -> None:
    """What SIGKILL does to an instance: it stops renewing and gives nothing back."""
    store._lease_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await store._lease_task
    store._lease_task = None
    store.leases.held.clear()
    await store.client.aclose()


async def claim_until(store: RedisStore, count: int, timeout: float = 5.0) -> list:
    claimed: list = []
    deadline = time.monotonic() + timeout
    while len(claimed) < count and time.monotonic() < deadline:
        claimed += await store.claim(100)
        await asyncio.sleep(0.02)
    return claimed


# -- append -----------------------------------------------------------------------------------

async def test_the_same_events_sent_to_two_instances_at_once_are_accepted_once(stores):
    first, second = await stores(), await stores()
    batches = [[record(n) for n in range(i, i + 10)] for i in range(0, 100, 10)]
    results = await asyncio.gather(*[store.append(batch) for batch in batches
                                     for store in (first, second)])
    assert sum(r.accepted for r in results) == 100
    assert sum(r.duplicates for r in results) == 100
    assert await first.pending_count() == 100


async def test_duplicates_in_one_request_are_counted_and_rejects_quarantined(stores, prefix):
    store = await stores()
    result = await store.append([record(1), record(1), record(2)],
                                [Reject("change without a value", b'{"field":"x"}')])
    assert (result.accepted, result.duplicates) == (2, 1)
    await store.quarantine("signed body is not valid JSON", b"{not json")
    held = await store.client.xrange(f"{prefix}:quarantine")
    assert [(f[b"reason"], f[b"payload"]) for _, f in held] == [
        (b"change without a value", b'{"field":"x"}'),
        (b"signed body is not valid JSON", b"{not json"),
    ]
    ttl = await store.client.ttl(f"{prefix}:seen:message:wamid.1")
    assert 8 * 86400 - 5 < ttl <= 8 * 86400


# -- claims, settling, the ledger -------------------------------------------------------------

async def test_claims_keep_conversation_order_and_settled_events_leave(stores, prefix):
    store = await stores(partitions=4)
    records = [record(n, conversation=f"conv-{n % 3}") for n in range(12)]
    await store.append(records)
    claimed = await store.claim(100)
    assert sorted(e.key for e in claimed) == sorted(r.key for r in records)
    assert {e.attempt for e in claimed} == {1}
    for conversation in ("conv-0", "conv-1", "conv-2"):
        keys = [e.key for e in claimed if e.conversation == conversation]
        assert keys == [r.key for r in records if r.conversation == conversation]
        assert {int(e.token.split(":")[0]) for e in claimed
                if e.conversation == conversation} == {partition_of(conversation, 4)}
    assert await store.claim(100) == []  # handed out once
    await store.settle_many([(event, "done", []) for event in claimed])
    assert await store.pending_count() == 0
    lengths = [await store.client.xlen(f"{prefix}:events:{p}") for p in range(4)]
    assert lengths == [0, 0, 0, 0]


async def test_ledger_rows_and_dead_letters(stores, prefix):
    store = await stores()
    await store.append([record(1), record(2)])
    first, second = sorted(await store.claim(10), key=lambda e: e.key)
    await store.record_delivery(first, Delivery("crm", "retrying", 1, "TimeoutError: slow"))
    await store.settle(first, "dead", [Delivery("auto-reply", "done", 1),
                                       Delivery("crm", "dead", 5, "TimeoutError: slow")])
    await store.settle(second, "done", [])
    ledger = await store.client.hgetall(f"{prefix}:ledger:message:wamid.1")
    assert {k: json.loads(v) for k, v in ledger.items()} == {
        b"auto-reply": {"state": "done", "attempts": 1, "error": None},
        b"crm": {"state": "dead", "attempts": 5, "error": "TimeoutError: slow"},
    }
    assert await store.client.ttl(f"{prefix}:ledger:message:wamid.1") > 8 * 86400 - 5
    assert not await store.client.exists(f"{prefix}:ledger:message:wamid.2")  # clean: no rows
    [(_, dead)] = await store.client.xrange(f"{prefix}:dead")
    assert (dead[b"key"], dead[b"plugin"], dead[b"error"], dead[b"attempts"], dead[b"payload"]) \
        == (b"message:wamid.1", b"crm", b"TimeoutError: slow", b"5", first.payload)
    assert await store.pending_count() == 0


async def test_schema_failures_move_to_quarantine(stores, prefix):
    store = await stores()
    await store.append([record(1)])
    [event] = await store.claim(1)
    await store.quarantine_event(event, "$.item.id: missing")
    assert await store.pending_count() == 0
    [(_, held)] = await store.client.xrange(f"{prefix}:quarantine")
    assert (held[b"reason"], held[b"key"], held[b"payload"]) == (
        b"$.item.id: missing", b"message:wamid.1", event.payload)


async def test_foreign_stream_entries_are_quarantined_not_dispatched(stores, prefix):
    store = await stores(partitions=1)
    await store.client.xadd(f"{prefix}:events:0", {"hello": "world"})
    await store.append([record(1)])
    assert [e.key for e in await store.claim(10)] == ["message:wamid.1"]
    [(_, held)] = await store.client.xrange(f"{prefix}:quarantine")
    assert held[b"reason"] == b"stream entry is not a botkit event"
    assert json.loads(held[b"payload"]) == {"hello": "world"}


# -- leases: one reader per partition, takeover, hand-back ----------------------------------

async def test_a_killed_instances_entries_are_taken_over_with_attempt_two(stores):
    crashed = await stores(lease_ms=600)
    await crashed.append([record(n, conversation=f"conv-{n % 4}") for n in range(8)])
    claimed = await crashed.claim(100)
    assert len(claimed) == 8
    await crashed.record_delivery(claimed[0], Delivery("crm", "done", 1))
    await crashed.settle(claimed[1], "done", [])

    heir = await stores(lease_ms=600)
    assert await heir.claim(100) == []  # the leases are still held: nothing is read twice
    await abandon(crashed)
    again = await claim_until(heir, 6)
    assert sorted(e.key for e in again) == sorted(e.key for e in claimed[2:] + claimed[:1])
    assert {e.attempt for e in again} == {2}
    settled = {e.key: e.settled_plugins for e in again}
    assert settled[claimed[0].key] == {"crm"}
    assert await heir.claim(100) == []


async def test_partitions_are_shared_fairly_and_handed_back_on_close(stores, prefix):
    first = await stores(partitions=4, lease_ms=600)
    await first.claim(10)
    assert len(first.leases.readable()) == 4
    second = await stores(partitions=4, lease_ms=600)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(second.leases.readable()) < 2:
        await second.claim(10)
        await asyncio.sleep(0.05)
    assert len(first.leases.readable()) == 2 and len(second.leases.readable()) == 2
    owners = {await first.client.get(f"{prefix}:lease:{p}") for p in range(4)}
    assert owners == {first.instance.encode(), second.instance.encode()}

    await first.close()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(second.leases.readable()) < 4:
        await asyncio.sleep(0.05)
    assert len(second.leases.readable()) == 4  # well before a lease could have expired


async def test_a_partition_is_handed_over_only_after_its_events_finish(stores):
    busy = await stores(partitions=2, lease_ms=600)
    conversations = {partition_of(f"conv-{n}", 2): f"conv-{n}" for n in range(10)}
    await busy.append([record(p, conversation=conversations[p]) for p in (0, 1)])
    running = {int(e.token.split(":")[0]): e for e in await busy.claim(10)}
    other = await stores(partitions=2, lease_ms=600)
    await other.claim(10)
    await asyncio.sleep(1.0)  # several lease rounds: busy should shed one, but both are running
    assert other.leases.readable() == []
    assert len(busy.leases.held) == 2 and len(busy.leases.readable()) == 1
    [draining] = busy.leases.draining
    await busy.settle(running[draining], "done", [])
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and other.leases.readable() != [draining]:
        assert await other.claim(10) == []  # the finished event is not run again
        await asyncio.sleep(0.05)
    assert other.leases.readable() == [draining]
    assert busy.leases.readable() == [1 - draining]


async def test_a_partition_stuck_draining_is_given_back_after_the_limit(stores, monkeypatch):
    monkeypatch.setattr(_redis_leases, "DRAIN_LIMIT_SECONDS", 0.5)
    stuck = await stores(partitions=2, lease_ms=600)
    conversations = {partition_of(f"conv-{n}", 2): f"conv-{n}" for n in range(10)}
    await stuck.append([record(p, conversation=conversations[p]) for p in (0, 1)])
    assert len(await stuck.claim(10)) == 2  # and never settled
    other = await stores(partitions=2, lease_ms=600)
    again = await claim_until(other, 1, timeout=4)
    assert [e.attempt for e in again] == [2]
    assert len(stuck.leases.held) == 1


async def test_entries_whose_settle_failed_are_handed_out_again(redis_servers):
    port, _ = redis_servers()
    store = RedisStore(f"redis://127.0.0.1:{port}/0?lease_ms=600")
    admin = redis.Redis(port=port)
    await store.open()
    try:
        await store.append([record(1)])
        [event] = await store.claim(10)
        admin.config_set("maxmemory", "1")
        with pytest.raises(StoreError, match=r"OutOfMemoryError: .*maxmemory"):
            await store.settle(event, "done", [Delivery("crm", "done", 2)])
        admin.config_set("maxmemory", "0")
        assert await store.claim(10) == []
        store.rewind()  # the dispatcher does this when idle; the lease rounds do it anyway
        [again] = await store.claim(10)
        assert (again.key, again.attempt) == (event.key, 2)
    finally:
        await store.close()
        admin.close()


# -- errors -----------------------------------------------------------------------------------

async def test_unreachable_redis_is_a_store_error_without_the_password():
    port = free_port()
    store = RedisStore(f"redis://:hunter2-secret@127.0.0.1:{port}/0")
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        await store.open()
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "hunter2-secret" not in str(caught.value)
    assert time.monotonic() - started < 5


async def test_out_of_memory_and_read_only_replicas_refuse_appends(redis_servers):
    port, _ = redis_servers()
    store = RedisStore(f"redis://127.0.0.1:{port}/0")
    admin = redis.Redis(port=port)
    await store.open()
    try:
        admin.config_set("maxmemory", "1")
        with pytest.raises(StoreError, match=r"OutOfMemoryError: .*maxmemory"):
            await store.append([record(1)])
        admin.config_set("maxmemory", "0")
        admin.replicaof("127.0.0.1", free_port())
        with pytest.raises(StoreError, match=r"ReadOnlyError: .*read only replica"):
            await store.append([record(1)])
        admin.replicaof("NO", "ONE")
        assert (await store.append([record(1)])).accepted == 1  # nothing half-stored before
    finally:
        await store.close()
        admin.close()


async def test_wait_replicas_confirms_copies_or_refuses(redis_servers):
    port, _ = redis_servers()
    replica_port, _ = redis_servers("--replicaof", "127.0.0.1", str(port))
    replica = redis.Redis(port=replica_port)
    deadline = time.monotonic() + 10
    while replica.info("replication").get("master_link_status") != "up":
        assert time.monotonic() < deadline, "the replica did not sync"
        time.sleep(0.05)
    replica.close()
    copied = RedisStore(f"redis://127.0.0.1:{port}/0?wait_replicas=1&wait_timeout_ms=2000")
    await copied.open()
    try:
        assert (await copied.append([record(1)])).accepted == 1
        await copied.quarantine("not JSON", b"{")
    finally:
        await copied.close()
    greedy = RedisStore(f"redis://127.0.0.1:{port}/0?wait_replicas=2&wait_timeout_ms=50")
    await greedy.open()
    try:
        with pytest.raises(StoreError, match="only 1 of 2 replica"):
            await greedy.append([record(2)])
    finally:
        await greedy.close()


async def test_scripts_are_loaded_again_when_redis_forgets_them(redis_servers):
    port, _ = redis_servers()
    store = RedisStore(f"redis://127.0.0.1:{port}/0")
    admin = redis.Redis(port=port)
    await store.open()
    try:
        await store.append([record(1), record(2)])
        claimed = await store.claim(10)
        admin.script_flush()  # what a restart or a failover to a fresh replica does
        assert (await store.append([record(3)])).accepted == 1
        admin.script_flush()
        await store.settle_many([(event, "done", []) for event in claimed])
        assert [e.key for e in await store.claim(10)] == ["message:wamid.3"]
    finally:
        await store.close()
        admin.close()


async def test_instances_must_agree_on_the_partition_count(stores):
    await stores(partitions=4)
    with pytest.raises(StoreError, match="has 4 partitions but this instance is configured "
                                         "with partitions=8"):
        await stores(partitions=8)


@pytest.mark.parametrize(("url", "message"), [
    ("redis://127.0.0.1:6379/0?partitions=0", "partitions='0': expected a whole number"),
    ("redis://127.0.0.1:6379/0?lease_ms=fast", "lease_ms='fast'"),
    ("redis://127.0.0.1:6379/0?prefix=", "prefix=''"),
    ("redis:///0", "not a redis URL"),
])
def test_bad_store_urls_are_refused(url, message):
    with pytest.raises(StoreError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_redis_url(url)


def test_redis_options_leave_the_rest_of_the_url_to_redis_py():
    options = parse_redis_url("rediss://user:pw@cache.internal:6380/2?prefix=shop&partitions=32"
                              "&lease_ms=5000&wait_replicas=1&socket_timeout=3")
    assert options.client_url == "rediss://user:pw@cache.internal:6380/2?socket_timeout=3"
    assert options.shown == "rediss://user:***@cache.internal:6380/2?socket_timeout=3"
    assert (options.prefix, options.partitions, options.lease_ms, options.wait_replicas) == (
        "shop", 32, 5000, 1)


# -- through the app --------------------------------------------------------------------------

async def test_the_app_dispatches_from_redis(prefix, botkit_runner_factory, recorder,
                                             payload_clock):
    # ``prefix`` comes first so that its keys are deleted after the app has stopped.
    bot = await botkit_runner_factory(
        enabled_plugins=["rec"], extra_plugins={"rec": recorder}, clock=payload_clock,
        store={"url": f"{REDIS_URL}?prefix={prefix}"})
    for _ in range(2):
        assert (await bot.post(payload_bytes("message_text.json"))).status_code == 200
    await bot.settle()
    assert recorder.counts() == {"message_received": 1, "contact_updated": 1}


async def test_the_webhook_answers_503_when_redis_goes_away(botkit_runner_factory, recorder,
                                                            payload_clock, redis_servers):
    port, server = redis_servers()
    bot = await botkit_runner_factory(
        enabled_plugins=["rec"], extra_plugins={"rec": recorder}, clock=payload_clock,
        store={"url": f"redis://127.0.0.1:{port}/0"})
    assert (await bot.post(payload_bytes("message_text.json"))).status_code == 200
    server.kill()
    server.wait()
    refused = await bot.post(payload_bytes("status_read.json"))
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert (await bot.client.get("/readyz")).status_code == 503


def test_open_store_picks_redis_for_redis_urls():
    from botkit.settings import StoreSettings

    assert isinstance(open_store(StoreSettings(url="rediss://127.0.0.1:6379/0")), RedisStore)



async def test_a_send_in_doubt_is_reported_on_reclaim(stores):
    """A reply that was being sent when its instance died comes back marked 'in doubt'."""
    crashed = await stores(lease_ms=600)
    await crashed.append([record(1)])
    [event] = await crashed.claim(100)
    await crashed.record_delivery(event, Delivery("botkit.reply", "sending", 1))
    heir = await stores(lease_ms=600)
    await abandon(crashed)
    [again] = await claim_until(heir, 1)
    assert again.in_doubt == {"botkit.reply"}
    assert "botkit.reply" not in again.settled_plugins


# -- backlog, waiting, history ----------------------------------------------------------------

async def test_the_backlog_age_is_the_oldest_waiting_event_of_any_partition(prefix):
    times = iter([1000.0, 2000.0, 3000.0])
    store = RedisStore(f"{REDIS_URL}?prefix={prefix}&partitions=4", clock=lambda: next(times))
    await store.open()
    try:
        assert await store.oldest_pending() is None
        conversations = ["a", "b"]
        assert partition_of("a", 4) != partition_of("b", 4)
        for n, conversation in enumerate(conversations):
            await store.append([record(n, conversation)])
        assert await store.oldest_pending() == 1000.0
        first = [e for e in await claim_until(store, 2) if e.conversation == "a"]
        assert first[0].received_at == 1000.0
        await store.settle(first[0], "done", [])
        assert await store.oldest_pending() == 2000.0
        assert await store.pending_count() == 1
    finally:
        await store.close()


async def test_waiting_for_events_returns_as_soon_as_another_instance_stores_one(stores):
    consumer, producer = await stores(), await stores()
    assert await consumer.claim(10) == []  # now it holds every partition
    started = time.monotonic()
    assert await consumer.wait_for_events(0.3) is False
    assert time.monotonic() - started >= 0.25
    waiting = asyncio.create_task(consumer.wait_for_events(3.5))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await producer.append([record(1)])
    assert await asyncio.wait_for(waiting, 5) is True
    assert time.monotonic() - started < 2.0
    # An event already stored but not yet claimed counts too: the wait returns at once.
    started = time.monotonic()
    assert await consumer.wait_for_events(3.5) is True
    assert time.monotonic() - started < 2.0
    assert [e.key for e in await consumer.claim(10)] == ["message:wamid.1"]


async def test_finished_events_are_kept_in_a_capped_history_with_their_payload(stores, prefix):
    store = await stores()
    await store.append([record(n) for n in range(3)])
    claimed = await claim_until(store, 3)
    await store.settle_many([
        (claimed[0], "done", []),
        (claimed[1], "dead", [Delivery("crm", "dead", 3, "ValueError: down")]),
        (claimed[2], "done", [Delivery("crm", "done", 2)]),
    ])
    client = redis.Redis.from_url(REDIS_URL)
    try:
        history = client.xrange(f"{prefix}:history")
        rows = [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in history]
        assert [(r["key"], r["state"], r["attempts"]) for r in rows] == [
            ("message:wamid.0", "done", "1"), ("message:wamid.1", "dead", "1"),
            ("message:wamid.2", "done", "1")]
        assert json.loads(rows[1]["payload"]) == {"n": 1}
        assert rows[1]["conversation"] == "c"
        [(_, dead)] = client.xrange(f"{prefix}:dead")
        assert dead[b"conversation"] == b"c" and float(dead[b"received_at"]) > 0
    finally:
        client.close()


async def test_no_history_is_kept_when_it_is_turned_off(stores, prefix):
    store = await stores(history=0)
    await store.append([record(1)])
    [event] = await claim_until(store, 1)
    await store.settle(event, "done", [])
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.xlen(f"{prefix}:history") == 0
    finally:
        client.close()


async def test_a_replayed_entry_counts_its_earlier_attempts(stores, prefix):
    store = await stores(partitions=1)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.xadd(f"{prefix}:events:0", {"key": "k", "kind": "message", "conversation": "c",
                                           "payload": "{}", "received_at": "5", "attempts": "2"})
    finally:
        client.close()
    [event] = await claim_until(store, 1)
    assert (event.key, event.attempt, event.received_at) == ("k", 3, 5.0)

