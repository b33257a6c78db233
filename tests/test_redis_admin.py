"""RedisAdmin on the shared Redis: what ``botkit events``, ``dead-letters`` and ``quarantine``
see and change on a Redis store, driven through a RedisStore the way the dispatcher drives it;
and the clear errors the commands give."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from click.testing import CliRunner
from samples import REDIS_URL, free_port, payload_bytes

from botkit.cli.main import cli
from botkit.errors import StoreError
from botkit.json_codec import from_json
from botkit.settings import StoreSettings
from botkit.store import _redis_rows, open_store
from botkit.store.admin import AdminError, EventFilter
from botkit.store.records import Delivery, EventRecord
from botkit.store.redis import RedisStore
from botkit.store.redis_admin import RedisAdmin
from botkit.webhook.splitting import split_body

T0 = time.time() - 3600  # events are received in the past: history entries are newer
TEXT = payload_bytes("message_text.json")
SCHEMA = "$.text.body: not a string"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def url(redis_prefix) -> str:
    return f"{REDIS_URL}?prefix={redis_prefix}&partitions=4&lease_ms=1000"


@pytest.fixture
async def store(url, clock):
    opened = RedisStore(url, clock=clock)
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def admin(store, url):
    opened = RedisAdmin(url)
    yield opened
    opened.close()


def record(n: int, kind: str = "message") -> EventRecord:
    return EventRecord(f"ev.{n}", kind, f"c{n}", 1, json.dumps({"n": n}).encode())


async def claim(store: RedisStore, count: int) -> list:
    """Exactly ``count`` events, sorted by key (the first claim waits for the leases)."""
    claimed: list = []
    deadline = time.monotonic() + 5
    while len(claimed) < count and time.monotonic() < deadline:
        claimed += await store.claim(100)
        if len(claimed) < count:
            await asyncio.sleep(0.01)
    assert len(claimed) == count
    return sorted(claimed, key=lambda e: e.key)


async def settled(store: RedisStore, n: int, state: str, *deliveries: Delivery) -> None:
    await store.append([record(n)])
    [event] = await claim(store, 1)
    await store.settle(event, state, list(deliveries))


async def schema_failure(store: RedisStore, n: int) -> None:
    await store.append([record(n)])
    [event] = await claim(store, 1)
    await store.quarantine_event(event, SCHEMA)


def dead(plugin: str, attempts: int = 3, error: str = "TimeoutError: slow") -> Delivery:
    return Delivery(plugin, "dead", attempts, error)


async def scenario(store: RedisStore, clock: Clock) -> None:
    """ev.N received at T0 + N: 1 done, 2 (a status) dead in crm, 3 failed its schema,
    4 handed out and still running, 5 waiting."""
    for n in (1, 2, 3, 4):
        clock.now = T0 + n
        await store.append([record(n, "status" if n == 2 else "message")])
    one, two, three, _ = await claim(store, 4)
    await store.settle(one, "done", [Delivery("rec", "done", 1)])
    await store.settle(two, "dead", [Delivery("rec", "done", 1), dead("crm")])
    clock.now = T0 + 3  # a quarantined event counts as received when it was quarantined
    await store.quarantine_event(three, SCHEMA)
    clock.now = T0 + 5
    await store.append([record(5)])


def keys(rows: list[dict]) -> list[str]:
    return [row["key"] for row in rows]


# -- events -----------------------------------------------------------------------------------

async def test_events_lists_every_state_newest_first(store, clock, admin):
    await scenario(store, clock)
    rows = admin.events(EventFilter())
    assert [(r["key"], r["kind"], r["state"], r["attempts"]) for r in rows] == [
        ("ev.5", "message", "pending", 0), ("ev.4", "message", "pending", 1),
        ("ev.3", "message", "quarantined", 0), ("ev.2", "status", "dead", 1),
        ("ev.1", "message", "done", 1)]
    assert [r["received_at"] for r in rows] == [T0 + n for n in (5, 4, 3, 2, 1)]
    assert rows[3]["conversation"] == "c2"
    assert rows[3]["deliveries"] == [
        {"plugin": "crm", "state": "dead", "attempts": 3, "error": "TimeoutError: slow"},
        {"plugin": "rec", "state": "done", "attempts": 1, "error": None}]
    assert rows[0]["deliveries"] == []


@pytest.mark.parametrize("selection, expected", [
    (EventFilter(kind="status"), [2]),
    (EventFilter(state="pending"), [5, 4]),
    (EventFilter(state="done"), [1]),
    (EventFilter(state="dead"), [2]),
    (EventFilter(state="quarantined"), [3]),
    (EventFilter(plugin="crm"), [2]),
    (EventFilter(plugin="rec"), [2, 1]),
    (EventFilter(since=T0 + 2, until=T0 + 4), [3, 2]),
    (EventFilter(since=T0 + 4.5), [5]),
    (EventFilter(keys=("ev.1", "ev.4", "ev.9")), [4, 1]),
    (EventFilter(limit=2), [5, 4]),
    (EventFilter(limit=4), [5, 4, 3, 2]),
    (EventFilter(state="done", kind="status"), []),
])
async def test_each_filter_narrows_the_events(store, clock, admin, selection, expected):
    await scenario(store, clock)
    assert keys(admin.events(selection)) == [f"ev.{n}" for n in expected]


async def test_a_replayed_event_waiting_again_is_listed_once_as_pending(store, admin):
    await settled(store, 1, "done", Delivery("rec", "done", 1))
    assert admin.replay(EventFilter(keys=("ev.1",))) == 1
    [row] = admin.events(EventFilter())
    assert (row["key"], row["state"], row["attempts"], row["deliveries"]) == (
        "ev.1", "pending", 1, [])
    await claim(store, 1)
    [row] = admin.events(EventFilter())
    assert (row["state"], row["attempts"]) == ("pending", 2)  # handed out once more


async def test_event_has_its_payload_deliveries_and_quarantine_reasons(store, clock, admin):
    await scenario(store, clock)
    failed = admin.event("ev.2")
    assert (failed["state"], failed["payload"], failed["quarantine"]) == ("dead", {"n": 2}, [])
    assert [(d["plugin"], d["state"]) for d in failed["deliveries"]] == [
        ("crm", "dead"), ("rec", "done")]
    held = admin.event("ev.3")
    assert (held["state"], held["payload"], held["quarantine"]) == (
        "quarantined", {"n": 3}, [SCHEMA])
    assert admin.event("ev.5")["payload"] == {"n": 5}
    assert admin.event("ev.404") is None


# -- replay -----------------------------------------------------------------------------------

async def test_replay_requeues_finished_events_and_skips_waiting_ones(store, clock, admin):
    await scenario(store, clock)
    assert admin.replay(EventFilter()) == 2  # done ev.1, dead ev.2; not 3, 4 or 5
    assert await store.pending_count() == 4  # ev.4 (running), ev.5, and the two again
    again = await claim(store, 3)
    assert [(e.key, e.attempt, e.settled_plugins) for e in again] == [
        ("ev.1", 2, frozenset()), ("ev.2", 2, frozenset()), ("ev.5", 1, frozenset())]
    assert keys(admin.events(EventFilter(state="pending"))) == ["ev.5", "ev.4", "ev.2", "ev.1"]


async def test_replay_to_one_plugin_records_the_others_as_done(store, admin, redis_prefix):
    await settled(store, 1, "dead", Delivery("rec", "done", 1), dead("crm"))
    assert admin.replay(EventFilter(keys=("ev.1",)), plugin="crm",
                        all_plugins=("reply", "rec", "crm")) == 1
    [event] = await claim(store, 1)
    assert (event.attempt, event.settled_plugins) == (2, {"reply", "rec"})
    assert admin.client.ttl(f"{redis_prefix}:ledger:ev.1") > 0


async def test_replaying_a_dead_event_clears_its_dead_letters(store, admin):
    await settled(store, 1, "dead", dead("crm"), dead("mailer"))
    await settled(store, 2, "dead", dead("crm"))
    assert admin.replay(EventFilter(keys=("ev.1",))) == 1
    assert [(r["key"], r["plugin"]) for r in admin.dead_letters()] == [("ev.2", "crm")]
    [event] = await claim(store, 1)
    await store.settle(event, "done", [Delivery("crm", "done", 1), Delivery("mailer", "done", 1)])
    assert admin.retry_dead(keys=("ev.1",)) == 0  # crm succeeded on the replay: not run again
    assert await store.pending_count() == 0


# -- dead letters -----------------------------------------------------------------------------

async def test_dead_letters_are_listed_oldest_first_by_plugin_and_key(store, admin):
    await settled(store, 1, "dead", dead("crm"), dead("mailer", 5, "SMTPError: down"))
    await settled(store, 2, "dead", dead("crm", 2, "HTTP 500"))
    rows = admin.dead_letters()
    assert [(r["key"], r["kind"], r["plugin"], r["attempts"], r["error"]) for r in rows] == [
        ("ev.1", "message", "crm", 3, "TimeoutError: slow"),
        ("ev.1", "message", "mailer", 5, "SMTPError: down"),
        ("ev.2", "message", "crm", 2, "HTTP 500")]
    assert all(r["failed_at"] == T0 for r in rows)
    assert keys(admin.dead_letters(plugin="crm")) == ["ev.1", "ev.2"]
    assert [r["plugin"] for r in admin.dead_letters(keys=("ev.1",))] == ["crm", "mailer"]
    assert admin.dead_letters(plugin="mailer", keys=("ev.2",)) == []


async def test_retry_requeues_an_event_once_when_two_plugins_died(store, admin, redis_prefix):
    await settled(store, 1, "dead", Delivery("rec", "done", 1), dead("crm"), dead("mailer"))
    await settled(store, 2, "dead", dead("crm"))
    assert admin.retry_dead(keys=("ev.1",)) == 2
    assert keys(admin.dead_letters()) == ["ev.2"]
    assert admin.client.hkeys(f"{redis_prefix}:ledger:ev.1") == [b"rec"]
    assert await store.pending_count() == 1
    [event] = await claim(store, 1)
    assert (event.key, event.attempt, event.settled_plugins) == ("ev.1", 2, {"rec"})


async def test_retry_does_not_requeue_an_event_still_waiting(store, admin):
    await settled(store, 1, "dead", dead("crm"), dead("mailer"))
    assert admin.retry_dead(plugin="crm") == 1  # requeued; mailer's letter stays
    assert admin.retry_dead(plugin="mailer") == 1  # the waiting event runs mailer too
    assert admin.dead_letters() == []
    assert await store.pending_count() == 1
    [event] = await claim(store, 1)
    assert (event.attempt, event.settled_plugins) == (2, frozenset())


async def test_purge_deletes_only_the_selected_dead_letters(store, admin):
    await settled(store, 1, "dead", dead("crm"))
    await settled(store, 2, "dead", dead("crm"), dead("mailer"))
    assert admin.purge_dead(plugin="mailer") == 1
    assert admin.purge_dead(keys=("ev.1",)) == 1
    assert admin.purge_dead(plugin="nobody") == 0
    assert [(r["key"], r["plugin"]) for r in admin.dead_letters()] == [("ev.2", "crm")]
    assert await store.pending_count() == 0  # nothing handed out again
    # ev.1 has no dead plugin left, so it counts as done, as on SQLite; ev.2 is still dead.
    states = {row["key"]: row for row in admin.events(EventFilter())}
    assert (states["ev.1"]["state"], states["ev.1"]["deliveries"]) == ("done", [])
    assert states["ev.2"]["state"] == "dead"
    assert [d["plugin"] for d in states["ev.2"]["deliveries"]] == ["crm"]


# -- quarantine -------------------------------------------------------------------------------

async def test_quarantine_lists_held_and_reprocessed_items(store, admin):
    await store.quarantine("signed body is not valid JSON", b"{not json")
    await schema_failure(store, 1)
    await schema_failure(store, 2)
    body, first, second = admin.quarantine()
    assert (body["kind"], body["key"], body["state"], body["bytes"]) == ("body", None, "held", 9)
    assert (first["kind"], first["key"], first["reason"]) == ("message", "ev.1", SCHEMA)
    assert (second["key"], second["state"]) == ("ev.2", "held")
    assert admin.reprocess((first["id"],)) == (1, 0)
    assert keys(admin.quarantine()) == [None, "ev.2"]
    [moved] = admin.quarantine("reprocessed")
    assert (moved["key"], moved["state"]) == ("ev.1", "reprocessed")
    assert keys(admin.quarantine(None)) == [None, "ev.2", "ev.1"]
    assert keys(admin.quarantine(None, limit=2)) == [None, "ev.2"]


async def test_quarantined_item_has_its_raw_bytes(store, admin):
    await store.quarantine("signed body is not valid JSON", b"{not json")
    await schema_failure(store, 1)
    body, event = admin.quarantine()
    item = admin.quarantined(body["id"])
    assert (item["id"], item["state"], item["reason"], item["payload"]) == (
        body["id"], "held", "signed body is not valid JSON", b"{not json")
    admin.reprocess((event["id"],))
    [moved] = admin.quarantine("reprocessed")
    item = admin.quarantined(moved["id"])
    assert (item["state"], item["key"], item["payload"]) == ("reprocessed", "ev.1", b'{"n": 1}')
    assert admin.quarantined("1-0") is None


async def test_reprocessing_a_readable_body_stores_its_events_once(store, admin):
    records = split_body(from_json(TEXT)).records
    await store.quarantine("held for a test", TEXT)
    assert admin.reprocess() == (1, 0)
    assert sorted(keys(admin.events(EventFilter(state="pending")))) == sorted(
        r.key for r in records)
    await store.append(records[:1])  # already stored: a duplicate
    await store.quarantine("held again", TEXT)
    assert admin.reprocess() == (1, 0)
    assert await store.pending_count() == len(records)  # nothing stored twice
    assert admin.quarantine() == [] and len(admin.quarantine("reprocessed")) == 2


async def test_a_body_stored_before_adds_nothing_when_reprocessed(store, admin):
    records = split_body(from_json(TEXT)).records
    await store.append(records)
    await store.quarantine("held for a test", TEXT)
    assert admin.reprocess() == (1, 0)
    assert await store.pending_count() == len(records)


async def test_an_unreadable_body_stays_held(store, admin):
    partly = json.loads(TEXT)
    partly["entry"].append({"id": 17})  # the other entry would split into events
    await store.quarantine("signed body is not valid JSON", b"{not json")
    await store.quarantine("an entry without changes", json.dumps(partly).encode())
    assert admin.reprocess() == (0, 2)
    assert [item["state"] for item in admin.quarantine(None)] == ["held", "held"]
    assert await store.pending_count() == 0


async def test_reprocessing_a_schema_failure_by_id_requeues_that_event(store, admin):
    await schema_failure(store, 1)
    await schema_failure(store, 2)
    first, _ = admin.quarantine()
    assert admin.reprocess((first["id"], "99-0")) == (1, 0)
    [event] = await claim(store, 1)
    assert (event.key, event.attempt, event.conversation, event.payload) == (
        "ev.1", 2, "c1", b'{"n": 1}')
    assert keys(admin.events(EventFilter(state="quarantined"))) == ["ev.2"]


# -- errors -----------------------------------------------------------------------------------

def test_a_prefix_without_a_store_is_an_admin_error(redis_prefix):
    with pytest.raises(AdminError, match=f"no botkit store under prefix '{redis_prefix}'"):
        RedisAdmin(f"{REDIS_URL}?prefix={redis_prefix}")


async def test_a_malformed_quarantine_id_is_an_admin_error(admin):
    with pytest.raises(AdminError, match="'abc' is not a quarantine id"):
        admin.quarantined("abc")
    with pytest.raises(AdminError, match="'12' is not a quarantine id"):
        admin.reprocess(("1-0", "12"))


def test_unreachable_redis_is_a_store_error_without_the_password():
    port = free_port()
    with pytest.raises(StoreError) as caught:
        RedisAdmin(f"redis://:sekret@127.0.0.1:{port}/0")
    message = str(caught.value)
    assert not isinstance(caught.value, AdminError)
    assert f"cannot connect to Redis at redis://:***@127.0.0.1:{port}/0" in message
    assert "sekret" not in message


# -- the command line -------------------------------------------------------------------------

def settings_file(tmp_path, url: str) -> str:
    path = tmp_path / "ops.toml"
    path.write_text(f'[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
                    f'[store]\nurl = "{url}"\n')
    return str(path)


def error_line(*args: str) -> str:
    """Run the CLI, expecting one ``error:`` line and exit status 2."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2, result.output
    [line] = result.output.splitlines()
    assert line.startswith("error: ")
    return line


def test_cli_unreachable_redis_is_one_line_without_the_password(tmp_path):
    port = free_port()
    config = settings_file(tmp_path, f"redis://:sekret@127.0.0.1:{port}/0")
    line = error_line("dead-letters", "list", "--config", config)
    assert f"cannot connect to Redis at redis://:***@127.0.0.1:{port}/0" in line
    assert "sekret" not in line


def test_cli_prefix_without_a_store(tmp_path, redis_prefix):
    config = settings_file(tmp_path, f"{REDIS_URL}?prefix={redis_prefix}")
    assert "no botkit store under prefix" in error_line("events", "list", "--config", config)


async def test_cli_malformed_quarantine_id_on_redis(tmp_path, store, url):
    config = settings_file(tmp_path, url)
    for command in ("show", "reprocess"):
        line = await asyncio.to_thread(error_line, "quarantine", command, "abc",
                                       "--config", config)
        assert "'abc' is not a quarantine id of a Redis store" in line


async def test_cli_quarantine_ids_of_a_sqlite_store_are_whole_numbers(tmp_path):
    url = f"sqlite:///{tmp_path}/botkit.db"
    sqlite = open_store(StoreSettings(url=url))
    await sqlite.open()
    await sqlite.close()
    line = error_line("quarantine", "show", "abc", "--config", settings_file(tmp_path, url))
    assert "quarantine ids of a SQLite store are whole numbers" in line


async def test_streams_longer_than_one_read_are_read_in_full(store, admin, clock, monkeypatch):
    monkeypatch.setattr(_redis_rows, "CHUNK", 3)
    for n in range(1, 11):
        clock.now = T0 + n
        await settled(store, n, "done")
    for n in (11, 12, 13, 14):
        clock.now = T0 + n
        await store.append([record(n)])
    rows = admin.events(EventFilter())
    assert keys(rows) == [f"ev.{n}" for n in range(14, 0, -1)]
    assert keys(admin.events(EventFilter(state="done", limit=4))) == [
        "ev.10", "ev.9", "ev.8", "ev.7"]
