"""What the console reads from and does to the store, on SQLite and on Redis: the overview's
numbers, the number filter, and the replay, retry, purge and reprocess buttons (as HTTP posts;
the browser tests press them for real)."""

from __future__ import annotations

import asyncio
import time

from console_browser import csrf_of, running_console, signed_in_client
from samples import Recorder, Switchable

from botkit import hookimpl
from botkit.testing import encode, payloads


class Gate:
    """Holds every message until opened, so the events stay waiting meanwhile."""

    def __init__(self) -> None:
        self.open = asyncio.Event()

    @hookimpl
    async def message_received(self, message) -> None:
        await self.open.wait()


async def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def overview(client) -> dict:
    answer = await client.get("/console/api/overview")
    assert answer.status_code == 200
    return answer.json()


def this_minute(counts: list[int]) -> int:
    """Counts of the last two minutes: a minute may turn while the test runs."""
    assert sum(counts[:-2]) == 0, counts
    return sum(counts[-2:])


async def test_the_overview_counts_events_backlog_dead_letters_and_quarantine(tmp_path, store):
    gate, crm = Gate(), Switchable()
    later = [0.0]
    async with running_console(tmp_path, extra_plugins={"gate": gate, "crm": crm}, store=store,
                               dispatch={"max_attempts": 1},
                               clock=lambda: time.time() + later[0]) as bot:
        for n in range(3):
            await bot.post(payloads.text_message(f"order {n}", sender=f"1555000000{n}"))
        await bot.post(b"{not json")
        client = await signed_in_client(bot)
        waiting = await overview(client)
        # three messages and their senders' profiles; the messages wait behind the gate
        assert waiting["received_last_hour"] == 6 and this_minute(waiting["received"]) == 6
        assert waiting["backlog"] >= 3 and waiting["backlog_age_seconds"] >= 0
        assert waiting["quarantined"] == 1 and waiting["dead_letters"] == 0

        gate.open.set()
        await bot.settle()
        assert (await overview(client))["backlog"] == waiting["backlog"]  # cached for 3 s
        later[0] = 5.0
        settled = await overview(client)
        assert settled["backlog"] == 0 and settled["backlog_age_seconds"] is None
        assert settled["dead_letters"] == 3 and this_minute(settled["dead"]) == 3
        assert settled["received_last_hour"] == 6 and settled["display"]["dead_letters"] == "3"
        heights = [bar["h"] for bar in settled["charts"]["received"]["bars"]]
        assert max(heights) == 100 and sum(1 for h in heights if h) <= 2
        await client.aclose()


async def test_events_are_counted_in_the_minute_they_arrived(tmp_path, store):
    base = (time.time() // 60) * 60 + 30  # the middle of a minute: no rounding at the edges
    ago = [0.0]
    async with running_console(tmp_path, store=store, clock=lambda: base - ago[0]) as bot:
        for minutes in (50, 20, 20, 0):
            ago[0] = minutes * 60
            await bot.post(payloads.message("text", {"body": "hi"}, with_contact=False))
        await bot.settle()
        ago[0] = 0.0
        client = await signed_in_client(bot)
        data = await overview(client)
        expected = [0] * 60
        expected[9], expected[39], expected[59] = 1, 2, 1
        assert data["received"] == expected and data["first_minute"] == base - 30 - 59 * 60
        ago[0] = -3600.0  # an hour later they have all left the chart
        assert (await overview(client))["received"] == [0] * 60
        await client.aclose()


async def test_events_filtered_by_number_and_kind(tmp_path, store):
    async with running_console(tmp_path, store=store) as bot:
        await bot.post(payloads.text_message("first", sender="15550001111", name="Ann"))
        await bot.post(payloads.text_message("second", sender="15550002222", name="Bob"))
        await bot.settle()
        client = await signed_in_client(bot)
        ann = (await client.get("/console/events?number=15550001111&kind=message")).text
        assert ann.count('name="key"') == 1 and "15550001111" in ann and "15550002222" not in ann
        both = (await client.get(
            f"/console/events?number={payloads.PHONE_NUMBER_ID}&kind=message")).text
        assert both.count('name="key"') == 2
        assert (await client.get("/console/events?kind=contact")).text.count('name="key"') == 2
        nobody = (await client.get("/console/events?number=19999")).text
        assert "No events match." in nobody
        await client.aclose()


async def test_retry_and_purge_dead_letters_through_the_console(tmp_path, store):
    crm, recorder = Switchable(), Recorder()
    async with running_console(tmp_path, extra_plugins={"rec": recorder, "crm": crm},
                               store=store, dispatch={"max_attempts": 1}) as bot:
        first = payloads.text_message("first")
        await bot.post(first)
        await bot.post(payloads.text_message("second"))
        await bot.settle()
        client = await signed_in_client(bot)
        key = f"message:{first['entry'][0]['changes'][0]['value']['messages'][0]['id']}"
        csrf = await csrf_of(client, "/console/dead-letters")
        crm.broken = False
        answer = await client.post("/console/dead-letters/retry",
                                   data={"csrf": csrf, "key": key, "plugin": "crm",
                                         "next": "/console/dead-letters"})
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/dead-letters")
        page = await client.get("/console/dead-letters")
        assert f"Dead letter of crm for {key} queued for another try." in page.text
        await wait_for(lambda: (key, 2) in crm.calls)
        await bot.settle()
        assert recorder.counts()["message_received"] == 2  # not run again for the retry
        event = (await client.get("/console/event", params={"key": key})).text
        # done, with no dead row left: the ledger keeps rows only where something went wrong
        assert '<dt>State</dt><dd><span class="pill done">done</span></dd>' in event
        assert "<td>crm</td>" not in event

        other = key_of_other(page.text, key)
        answer = await client.post("/console/dead-letters/purge",
                                   data={"csrf": csrf, "key": other, "plugin": "crm"})
        assert answer.status_code == 303
        page = await client.get("/console/dead-letters")
        assert "purged." in page.text and "No dead letters." in page.text
        await client.aclose()


def key_of_other(html: str, known: str) -> str:
    keys = [part.split('"')[0] for part in html.split('name="key" value="')[1:]]
    return next(key for key in keys if key != known)


async def test_replay_dispatches_an_event_again(tmp_path, store):
    recorder = Recorder()
    async with running_console(tmp_path, extra_plugins={"rec": recorder}, store=store) as bot:
        body = payloads.text_message("again please")
        await bot.post(body)
        await bot.settle()
        client = await signed_in_client(bot)
        key = f"message:{body['entry'][0]['changes'][0]['value']['messages'][0]['id']}"
        answer = await client.post("/console/events/replay",
                                   data={"csrf": await csrf_of(client), "key": key})
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/events")
        assert "queued for dispatch again" in (await client.get("/console/events")).text
        await wait_for(lambda: recorder.counts()["message_received"] == 2)
        assert recorder.calls[-1][1:] == (key, 2)
        await client.aclose()


async def test_reprocess_hands_a_readable_body_back_and_keeps_an_unreadable_one(tmp_path,
                                                                               store):
    recorder = Recorder()
    async with running_console(tmp_path, extra_plugins={"rec": recorder}, store=store) as bot:
        await bot.post(b"{not json")
        # A body an earlier release could not read, kept by the store as the webhook keeps one.
        await bot.bot.store.quarantine("kept by an earlier release",
                                       encode(payloads.text_message("from quarantine")))
        client = await signed_in_client(bot)
        page = (await client.get("/console/quarantine")).text
        ids = [part.split('"')[0] for part in page.split('name="id" value="')[1:]]
        assert len(ids) == 2 and "{not json" in page
        csrf = await csrf_of(client, "/console/quarantine")
        answer = await client.post("/console/quarantine/reprocess",
                                   data={"csrf": csrf, "id": ids[1]})
        assert answer.headers["location"] == "/console/quarantine"
        assert f"Item {ids[1]} handed to dispatch again." in (
            await client.get("/console/quarantine")).text
        await wait_for(lambda: [e.text for hook, e in zip(recorder.calls, recorder.events,
                                                          strict=True)
                                if hook[0] == "message_received"] == ["from quarantine"])
        await client.post("/console/quarantine/reprocess", data={"csrf": csrf, "id": ids[0]})
        page = (await client.get("/console/quarantine")).text
        assert f"Item {ids[0]} is still unreadable; it stays in quarantine." in page
        again = await client.post("/console/quarantine/reprocess",
                                  data={"csrf": csrf, "id": ids[1]})
        if store:  # Redis moves a reprocessed item to another stream, under a new id
            assert again.status_code == 404
        else:
            assert again.status_code == 303
            assert "was reprocessed before" in (await client.get("/console/quarantine")).text
        everything = (await client.get("/console/quarantine?all=1")).text
        assert everything.count("pill reprocessed") == 1 and everything.count("pill held") == 1
        await client.aclose()
