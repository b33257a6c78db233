"""The console's conversation pages and buttons over real HTTP: who may see and press them,
CSRF, unknown customers, escaping, Take over / Hand back, an operator's reply sent once within
the window rules, the search and the delivery funnel on the overview."""

from __future__ import annotations

import html
import logging
import re

import pytest
from console_browser import csrf_of, running_console, signed_in_client
from timeline_kit import (
    CONVERSATION,
    CUSTOMER,
    NAME,
    NUMBER,
    STORY_SETTINGS,
    XSS_TEXT,
    Echo,
    story_plugins,
    tell_story,
)

from botkit.testing import payloads
from botkit.testing.harness import ManualClock

PAGE = f"/console/conversations/{CUSTOMER}"
ACTIONS = [f"{PAGE}/take", f"{PAGE}/hand-back", f"{PAGE}/reply"]
FLASH = re.compile(r'<p class="flash (ok|error)" role="status">([^<]*)</p>')
SEND_ID = re.compile(r'name="send_id" value="([0-9a-f]{32})"')


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def console(tmp_path, clock):
    async with running_console(tmp_path, extra_plugins={"echo": Echo()}, clock=clock,
                               conversations={"handoff_ttl_seconds": 3600}) as runner:
        await runner.post(payloads.text_message("hello", name="Ada Lovelace"))
        await runner.settle()
        yield runner


@pytest.fixture
async def client(console):
    client = await signed_in_client(console)
    yield client
    await client.aclose()


async def note_after(client, answer) -> tuple[str, str]:
    """The flash note on the page an action sent the browser back to."""
    assert answer.status_code == 303, answer.text
    page = await client.get(answer.headers["location"])
    found = FLASH.search(page.text)
    assert found, "no note on the page"
    return found.group(1), html.unescape(found.group(2))


async def send_id_of(client) -> str:
    return SEND_ID.search((await client.get(PAGE)).text).group(1)


async def test_signed_out_visitors_see_no_conversation_and_press_no_button(console):
    import httpx

    async with httpx.AsyncClient(base_url=console.server.url) as anonymous:
        for page in ("/console/conversations", "/console/conversations?q=ada", PAGE,
                     "/console/conversations/15550000000"):
            answer = await anonymous.get(page)
            assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
        for action in ACTIONS:
            answer = await anonymous.post(action, data={"number": NUMBER, "text": "hi"})
            assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
    assert len(console.graph.sent_messages()) == 1  # the bot's own reply to "hello"


async def test_buttons_without_the_sessions_csrf_token_are_refused(console, client):
    send_id = await send_id_of(client)
    for form in ({}, {"csrf": "forged"}):
        for action in ACTIONS:
            answer = await client.post(action, data={**form, "number": NUMBER, "text": "hi",
                                                     "send_id": send_id})
            assert answer.status_code == 403, action
            assert "did not come from the console" in answer.text
    info = await console.bot.conversations.info(CONVERSATION)
    assert info.mode == "bot" and len(console.graph.sent_messages()) == 1


async def test_an_unknown_customer_or_number_is_a_404(client):
    csrf = await csrf_of(client, PAGE)
    answers = [await client.get("/console/conversations/15550000000"),
               await client.get(f"{PAGE}?number=999"),
               await client.get("/console/conversations/%3Cb%3Ex")]
    for action in ("take", "hand-back", "reply"):
        answers.append(await client.post(f"/console/conversations/15550000000/{action}",
                                         data={"csrf": csrf, "number": NUMBER}))
        answers.append(await client.post(f"{PAGE}/{action}",
                                         data={"csrf": csrf, "number": "999"}))
    for answer in answers:
        assert answer.status_code == 404 and "No such customer" in answer.text, answer.url
        assert "<b>x" not in answer.text


async def test_customer_text_names_and_plugin_errors_are_escaped(tmp_path):
    clock = ManualClock()
    async with running_console(tmp_path, extra_plugins=story_plugins(), clock=clock,
                               **STORY_SETTINGS) as bot:
        await tell_story(bot, bot.graph, clock)
        client = await signed_in_client(bot)
        timeline = (await client.get(PAGE)).text
        listing = (await client.get("/console/conversations", params={"q": "priya"})).text
        search = await client.get("/console/conversations", params={"q": "<script>"})
        await client.aclose()
    for page in (timeline, listing):
        assert "<script>window" not in page
        assert html.escape(NAME, quote=False) in page
    assert f'<p class="message-text">{html.escape(XSS_TEXT, quote=False)}</p>' in timeline
    assert html.escape(f"ConnectionError: CRM refused {XSS_TEXT}", quote=False) in timeline
    assert "crm: dead after 2 tries" in timeline and "crm: retried after 2 tries" in timeline
    assert timeline.count('data-kind="inbound"') == 5
    assert "suppressed" in timeline and "a person has the conversation" in timeline
    assert search.status_code == 200 and "<script>" not in search.text.split("<main>")[1]


async def test_take_over_silences_the_bot_and_hand_back_lets_it_answer(console, client):
    csrf = await csrf_of(client, PAGE)
    answer = await client.post(f"{PAGE}/take", data={"csrf": csrf, "number": NUMBER,
                                                     "reason": "asks for a refund"})
    kind, note = await note_after(client, answer)
    assert kind == "ok" and note.startswith("You have this conversation now: the bot stays "
                                            "silent until you hand it back or until ")
    info = await console.bot.conversations.info(CONVERSATION)
    assert (info.mode, info.handoff_reason) == ("human", "asks for a refund")
    assert info.handoff_until == pytest.approx(console.bot.clock() + 3600)
    assert info.handoff_by.startswith("operator:") and CONVERSATION in console.bot.humans
    again = await client.post(f"{PAGE}/take", data={"csrf": csrf, "number": NUMBER})
    assert (await note_after(client, again))[0] == "error"

    await console.post(payloads.text_message("still there?"))
    await console.settle()
    assert len(console.graph.sent_messages()) == 1  # held back

    answer = await client.post(f"{PAGE}/hand-back", data={"csrf": csrf, "number": NUMBER})
    assert await note_after(client, answer) == ("ok", "The bot has this conversation again.")
    assert (await console.bot.conversations.info(CONVERSATION)).mode == "bot"
    again = await client.post(f"{PAGE}/hand-back", data={"csrf": csrf, "number": NUMBER})
    assert await note_after(client, again) == ("error", "The bot has this conversation "
                                                        "already.")
    await console.post(payloads.text_message("hello again"))
    await console.settle()
    assert [m["text"]["body"] for m in console.graph.sent_messages()] == [
        "echo hello", "echo hello again"]
    page = (await client.get(PAGE)).text
    assert page.count('data-kind="handoff"') == 2 and "asks for a refund" in page


async def test_an_operator_reply_is_sent_once_even_while_a_person_has_the_conversation(
        console, client, caplog):
    caplog.set_level(logging.INFO)
    csrf = await csrf_of(client, PAGE)
    await client.post(f"{PAGE}/take", data={"csrf": csrf, "number": NUMBER})
    send_id = await send_id_of(client)
    form = {"csrf": csrf, "number": NUMBER, "text": "A person here: your refund is on its way",
            "send_id": send_id}
    kind, note = await note_after(client, await client.post(f"{PAGE}/reply", data=form))
    assert kind == "ok" and note.startswith("Reply sent (wamid.")
    kind, note = await note_after(client, await client.post(f"{PAGE}/reply", data=form))
    assert (kind, note) == ("error", "This reply was sent already (the form was submitted "
                                     "twice).")
    sent = console.graph.sent_messages()
    assert [m["text"]["body"] for m in sent] == ["echo hello",
                                                 "A person here: your refund is on its way"]
    assert sent[1]["to"] == CUSTOMER
    page = (await client.get(PAGE)).text
    assert "Operator sent" in page and "your refund is on its way" in page
    assert not any("refund is on its way" in record.getMessage() for record in caplog.records)
    assert any("reply by operator:" in record.getMessage() for record in caplog.records)
    stale = await client.post(f"{PAGE}/reply", data={**form, "send_id": "not-an-id"})
    assert (await note_after(client, stale))[0] == "error"
    assert len(console.graph.sent_messages()) == 2


async def test_outside_the_window_only_a_template_is_sent(console, clock):
    clock.advance(25 * 3600)
    client = await signed_in_client(console)  # a sign-in lasts 12 hours
    csrf = await csrf_of(client, PAGE)
    page = (await client.get(PAGE)).text
    assert "The 24-hour window is closed:" in page and "window-closed" in page
    refused = await client.post(f"{PAGE}/reply", data={
        "csrf": csrf, "number": NUMBER, "text": "hello?", "send_id": await send_id_of(client)})
    kind, note = await note_after(client, refused)
    assert kind == "error" and "24-hour window is closed" in note and "template" in note
    for bad in ({"template": "Not A Name"}, {"template": "ok", "text": "both"},
                {"template": "ok", "language": "english please"}, {}):
        answer = await client.post(f"{PAGE}/reply", data={
            "csrf": csrf, "number": NUMBER, "send_id": await send_id_of(client), **bad})
        assert (await note_after(client, answer))[0] == "error", bad
    sent = await client.post(f"{PAGE}/reply", data={
        "csrf": csrf, "number": NUMBER, "template": "order_update", "language": "de",
        "send_id": await send_id_of(client)})
    assert (await note_after(client, sent))[0] == "ok"
    messages = console.graph.sent_messages()
    assert len(messages) == 2 and messages[1]["template"] == {
        "name": "order_update", "language": {"code": "de"}}
    assert "template order_update (de)" in (await client.get(PAGE)).text
    await client.aclose()


async def test_the_list_finds_conversations_by_name_and_number(console, client):
    await console.post(payloads.text_message("hi", sender="15550002222", name="Alan Turing"))
    await console.settle()
    listing = (await client.get("/console/conversations")).text
    assert "Ada Lovelace" in listing and "Alan Turing" in listing
    only = (await client.get("/console/conversations", params={"q": "ada"})).text
    assert "Ada Lovelace" in only and "Alan Turing" not in only
    by_number = (await client.get("/console/conversations", params={"q": "0002222"})).text
    assert "Alan Turing" in by_number and "Ada Lovelace" not in by_number
    assert f'href="/console/conversations/{CUSTOMER}?number={NUMBER}"' in only
    none = (await client.get("/console/conversations", params={"q": "nobody"})).text
    assert "No conversation matches that search." in none
    assert (await client.get("/console/conversations", params={"q": "x" * 101})
            ).status_code == 400


async def test_the_overview_charts_the_delivery_funnel_per_number(console, client):
    assert len(console.graph.sent_messages()) == 1
    page = (await client.get(PAGE)).text
    wamid = re.search(r'class="mono small">(wamid\.[^<]+)<', page).group(1)
    for status in ("sent", "delivered", "read"):
        await console.post(payloads.status(wamid, status))
    await console.post(payloads.status("wamid.other", "failed",
                                       errors=[payloads.error_object(131049, "Ecosystem")]))
    await console.settle()
    overview = (await client.get("/console")).text
    chart = overview.split('data-number="' + NUMBER + '"')[1].split("</figure>")[0]
    values = dict(re.findall(r'data-step="([^"]+)" data-value="(\d+)"', chart))
    assert values == {"sent": "1", "delivered": "1", "read": "1", "failed 131049": "1"}
    assert payloads.DISPLAY_PHONE_NUMBER in chart and "2 sent message(s) with a status" in chart
    timeline = (await client.get(PAGE)).text
    assert timeline.count("pill status-") == 4  # sent, delivered, read; failed elsewhere


async def test_on_a_redis_store_the_same_buttons_work_and_show(tmp_path, redis_prefix):
    from samples import REDIS_URL

    store = {"url": f"{REDIS_URL}?prefix={redis_prefix}&partitions=4"}
    async with running_console(tmp_path, extra_plugins={"echo": Echo()}, store=store) as bot:
        await bot.post(payloads.text_message("hello", name="Ada Lovelace"))
        await bot.settle()
        client = await signed_in_client(bot)
        csrf = await csrf_of(client, PAGE)
        await client.post(f"{PAGE}/take", data={"csrf": csrf, "number": NUMBER})
        await bot.post(payloads.text_message("still there?"))
        await bot.settle()
        answer = await client.post(f"{PAGE}/reply", data={
            "csrf": csrf, "number": NUMBER, "text": "yes, a person", "send_id": await
            send_id_of(client)})
        assert (await note_after(client, answer))[0] == "ok"
        page = (await client.get(PAGE)).text
        listing = (await client.get("/console/conversations", params={"q": "raman"})).text
        await client.aclose()
        assert [m["text"]["body"] for m in bot.graph.sent_messages()] == [
            "echo hello", "yes, a person"]
    assert page.count('data-kind="outbound"') == 3 and "suppressed" in page
    assert "Operator sent" in page and "mode-human" in page
    assert payloads.CUSTOMER_NAME in listing  # the latest profile name is the one searched
