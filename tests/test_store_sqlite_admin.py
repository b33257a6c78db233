"""The SQLite admin's event selection by time (``since`` inclusive, ``until`` exclusive) and by
plugin (events with a ledger record for it), as ``botkit events`` and ``replay`` use it; the SQL
must select exactly what ``EventFilter.matches`` describes, which the Redis admin applies."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.cli.main import cli
from botkit.store.admin import EventFilter
from botkit.store.records import Delivery, EventRecord
from botkit.store.sqlite import SQLiteStore
from botkit.store.sqlite_admin import SQLiteAdmin

T0 = 1_782_900_000.0
# key -> (kind, received at, ledger records (plugin, state))
EVENTS = {
    "message:wamid.A": ("message", T0, [("crm", "done")]),
    "status:wamid.A:read": ("status", T0 + 60, [("crm", "dead"), ("rec", "done")]),
    "message:wamid.B": ("message", T0 + 120, [("rec", "done")]),
    "message:wamid.C": ("message", T0 + 180, []),
}
TIMES = sorted({received for _, received, _ in EVENTS.values()})


async def fill(url: str) -> None:
    """One event a minute, each settled with its ledger records, by the store itself."""
    now = [T0]
    store = SQLiteStore(url, clock=lambda: now[0])
    await store.open()
    try:
        for key, (kind, received, ledger) in EVENTS.items():
            now[0] = received
            await store.append([EventRecord(key, kind, "pnid:customer", int(received), b"{}")])
            [event] = await store.claim(1)
            deliveries = [Delivery(plugin, state, 1) for plugin, state in ledger]
            final = "dead" if any(state == "dead" for _, state in ledger) else "done"
            await store.settle(event, final, deliveries)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def store_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('admin') / 'botkit.db'}"
    asyncio.run(fill(url))
    return url


@pytest.fixture
def admin(store_url):
    opened = SQLiteAdmin(store_url)
    yield opened
    opened.close()


def keys(rows: list[dict]) -> list[str]:
    return [row["key"] for row in rows]


def test_the_store_holds_what_the_tests_expect(admin):
    rows = admin.events(EventFilter())
    assert keys(rows) == list(reversed(EVENTS))  # newest first
    assert [row["received_at"] for row in rows] == list(reversed(TIMES))


@pytest.mark.parametrize(("selection", "expected"), [
    (EventFilter(since=T0 + 60), ["message:wamid.C", "message:wamid.B", "status:wamid.A:read"]),
    (EventFilter(since=T0 + 59.5), ["message:wamid.C", "message:wamid.B", "status:wamid.A:read"]),
    (EventFilter(since=T0 + 60.5), ["message:wamid.C", "message:wamid.B"]),
    (EventFilter(since=T0 + 181), []),
    (EventFilter(until=T0 + 120), ["status:wamid.A:read", "message:wamid.A"]),
    (EventFilter(until=T0), []),
    (EventFilter(until=T0 + 0.5), ["message:wamid.A"]),
    (EventFilter(since=T0 + 60, until=T0 + 120), ["status:wamid.A:read"]),
    (EventFilter(since=T0 + 120, until=T0 + 60), []),
    (EventFilter(since=T0 + 60, until=T0 + 60), []),
])
def test_since_is_inclusive_and_until_exclusive(admin, selection, expected):
    assert keys(admin.events(selection)) == expected


@pytest.mark.parametrize(("selection", "expected"), [
    (EventFilter(plugin="crm"), ["status:wamid.A:read", "message:wamid.A"]),
    (EventFilter(plugin="rec"), ["message:wamid.B", "status:wamid.A:read"]),
    (EventFilter(plugin="nobody"), []),
    (EventFilter(plugin="crm", since=T0 + 30), ["status:wamid.A:read"]),
    (EventFilter(plugin="rec", kind="message"), ["message:wamid.B"]),
    (EventFilter(plugin="crm", state="dead"), ["status:wamid.A:read"]),
    (EventFilter(plugin="rec", until=T0 + 60), []),
])
def test_plugin_selects_events_with_a_ledger_record_for_it(admin, selection, expected):
    rows = admin.events(selection)
    assert keys(rows) == expected
    for row in rows:  # the rows still carry every plugin's record, not only the selected one
        assert sorted((d["plugin"], d["state"]) for d in row["deliveries"]) == sorted(
            EVENTS[row["key"]][2])


BOUNDS = st.none() | st.sampled_from([*TIMES, *(t + 0.5 for t in TIMES), T0 - 1])


@settings(max_examples=200, deadline=None)
@given(since=BOUNDS, until=BOUNDS, plugin=st.sampled_from([None, "crm", "rec", "nobody"]),
       kind=st.sampled_from([None, "message", "status"]),
       state=st.sampled_from([None, "done", "dead"]))
def test_sql_selection_agrees_with_the_filter_definition(store_url, since, until, plugin, kind,
                                                         state):
    selection = EventFilter(kind=kind, state=state, plugin=plugin, since=since, until=until)
    admin = SQLiteAdmin(store_url)
    try:
        everything = admin.events(EventFilter())
        assert keys(admin.events(selection)) == keys(
            [row for row in everything if selection.matches(row)])
    finally:
        admin.close()


def test_replay_touches_only_the_selected_window(tmp_path):
    url = f"sqlite:///{tmp_path / 'botkit.db'}"
    asyncio.run(fill(url))
    admin = SQLiteAdmin(url)
    try:
        assert admin.replay(EventFilter(since=T0 + 60, until=T0 + 180)) == 2
        states = {row["key"]: row["state"] for row in admin.events(EventFilter())}
        assert states == {"message:wamid.A": "done", "status:wamid.A:read": "pending",
                          "message:wamid.B": "pending", "message:wamid.C": "done"}
        assert admin.replay(EventFilter(plugin="crm", until=T0 + 30)) == 1
        assert admin.events(EventFilter(keys=("message:wamid.A",)))[0]["state"] == "pending"
    finally:
        admin.close()


def test_events_list_filters_from_the_command_line(store_url, tmp_path):
    config = tmp_path / "botkit.toml"
    config.write_text(f'[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
                      f'[store]\nurl = "{store_url}"\n')
    until = "2026-07-01T10:02:00+00:00"  # T0 + 120, as an ISO 8601 time
    result = CliRunner().invoke(cli, [
        "events", "list", "--config", str(config), "--json", "--plugin", "rec",
        "--since", str(T0 + 60), "--until", until])
    assert result.exit_code == 0, result.output
    assert keys(json.loads(result.output)) == ["status:wamid.A:read"]
