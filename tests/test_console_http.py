"""The console over real HTTP: who gets in, what a session cookie looks like, CSRF, the sign-in
limit, security headers, 404s, redirects and secrets kept out of pages and logs."""

from __future__ import annotations

import contextlib
import logging

import httpx
import pytest
from console_browser import CONSOLE_TOKEN, csrf_of, running_console, signed_in_client

from botkit import hookimpl
from botkit.testing import ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, payloads

PAGES = ["/console", "/console/events", "/console/dead-letters", "/console/quarantine",
         "/console/event?key=message:x", "/console/quarantine/1", "/console/no-such-page"]
ACTIONS = ["/console/events/replay", "/console/dead-letters/retry",
           "/console/dead-letters/purge", "/console/quarantine/reprocess", "/console/logout"]


class LeakyPlugin:
    """Fails with an error that quotes the access token, as a careless HTTP client might."""

    @hookimpl
    def message_received(self, message) -> None:
        raise RuntimeError(f"GET /me?access_token={ACCESS_TOKEN} failed: <b>401</b>")


def first_key(html: str) -> str:
    """The event key in the first form of a page."""
    return html.split('name="key" value="')[1].split('"')[0]


@pytest.fixture
async def console(tmp_path):
    async with running_console(tmp_path, extra_plugins={"leaky": LeakyPlugin()},
                               dispatch={"max_attempts": 1}) as runner:
        yield runner


@pytest.fixture
async def anonymous(console):
    async with httpx.AsyncClient(base_url=console.server.url, timeout=30) as client:
        yield client


@pytest.fixture
async def client(console):
    client = await signed_in_client(console)
    yield client
    await client.aclose()


async def test_signed_out_pages_lead_to_the_sign_in_form(anonymous):
    for page in PAGES:
        answer = await anonymous.get(page)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/login"), page
    for action in ACTIONS:
        answer = await anonymous.post(action, data={"key": "message:x"})
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
    answer = await anonymous.get("/console/api/overview")
    assert (answer.status_code, answer.json()) == (401, {"error": "not signed in"})


async def test_signing_in_sets_a_session_cookie_that_is_not_the_token(anonymous):
    wrong = await anonymous.post("/console/login", data={"token": CONSOLE_TOKEN[:-1] + "!"})
    assert wrong.status_code == 401 and "That token is not right." in wrong.text
    assert "set-cookie" not in wrong.headers
    assert (await anonymous.get("/console")).status_code == 303

    answer = await anonymous.post("/console/login", data={"token": CONSOLE_TOKEN})
    assert (answer.status_code, answer.headers["location"]) == (303, "/console")
    [cookie] = answer.headers.get_list("set-cookie")
    name, _, value = cookie.split(";")[0].partition("=")
    flags = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert name == "botkit_console" and CONSOLE_TOKEN not in cookie
    assert {"httponly", "samesite=strict", "path=/console", "max-age=43200"} <= set(flags)
    assert "secure" not in flags  # plain HTTP here; see the TLS test
    assert CONSOLE_TOKEN[:8] not in value
    page = await anonymous.get("/console")
    assert page.status_code == 200 and "Events received per minute" in page.text
    assert (await anonymous.get("/console/login")).headers["location"] == "/console"


async def test_the_session_cookie_is_secure_when_the_request_came_over_tls(console):
    client = console.app.test_client()
    answer = await client.post("/console/login", form={"token": CONSOLE_TOKEN}, scheme="https")
    assert answer.status_code == 303
    [cookie] = answer.headers.getlist("set-cookie")
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


async def test_a_post_without_the_right_csrf_token_is_refused(client):
    for form in ({}, {"csrf": ""}, {"csrf": "forged"}):
        for action in ACTIONS:
            answer = await client.post(action, data={**form, "key": "k", "plugin": "leaky"})
            assert answer.status_code == 403, (action, form)
            assert "did not come from the console" in answer.text
    assert (await client.get("/console")).status_code == 200  # the sign-out was refused too
    csrf = await csrf_of(client)
    answer = await client.post("/console/dead-letters/retry",
                               data={"csrf": csrf, "key": "nope", "plugin": "leaky"})
    assert answer.status_code == 404
    answer = await client.post("/console/dead-letters/retry",
                               data={"csrf": csrf, "key": "k" * 70_000, "plugin": "leaky"})
    assert answer.status_code == 413


async def test_failed_sign_ins_are_limited_and_logged_without_what_was_typed(anonymous, caplog):
    caplog.set_level(logging.INFO, logger="botkit.console")
    for attempt in range(5):
        answer = await anonymous.post("/console/login", data={"token": f"guess-{attempt}"})
        assert answer.status_code == 401
    answer = await anonymous.post("/console/login", data={"token": CONSOLE_TOKEN})
    assert answer.status_code == 429 and answer.headers["retry-after"] == "60"
    assert "set-cookie" not in answer.headers
    lines = [r.getMessage() for r in caplog.records if r.name == "botkit.console"]
    assert lines.count("console sign-in failed from 127.0.0.1 (5 in the last minute)") == 1
    assert any("refused: too many failed attempts" in line for line in lines)
    assert not any("guess-" in line or CONSOLE_TOKEN in line for line in caplog.messages)


async def test_every_console_answer_carries_the_security_headers(client, anonymous):
    answers = [await anonymous.get("/console/login"), await anonymous.get("/console"),
               await anonymous.get("/console/api/overview"), await client.get("/console"),
               await client.get("/console/no-such-page"),
               await client.get("/console/static/console.js"),
               await client.post("/console/logout", data={})]
    for answer in answers:
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
    page = (await client.get("/console")).text
    assert "<script>" not in page and " on" + "click=" not in page and "style=" not in page


async def test_signing_out_ends_the_session(client):
    cookie = client.cookies["botkit_console"]
    answer = await client.post("/console/logout", data={"csrf": await csrf_of(client)})
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
    page = await client.get("/console/login")
    assert "Signed out." in page.text
    client.cookies.set("botkit_console", cookie, path="/console")  # a copy kept somewhere
    assert (await client.get("/console")).status_code == 303


async def test_sessions_expire(tmp_path):
    now = [1_900_000_000.0]
    async with running_console(tmp_path, clock=lambda: now[0],
                               console={"session_minutes": 2}) as runner:
        client = await signed_in_client(runner)
        async with contextlib.aclosing(client):
            assert (await client.get("/console/events")).status_code == 200
            now[0] += 119
            assert (await client.get("/console/events")).status_code == 200
            now[0] += 2
            answer = await client.get("/console/events")
            assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")


async def test_unknown_ids_get_a_404_page(client):
    csrf = await csrf_of(client)
    answers = [await client.get("/console/event?key=message:nope"),
               await client.get("/console/event"),
               await client.get("/console/quarantine/4242"),
               await client.get("/console/quarantine/not-an-id"),
               await client.post("/console/events/replay", data={"csrf": csrf, "key": "nope"}),
               await client.post("/console/dead-letters/purge",
                                 data={"csrf": csrf, "key": "nope", "plugin": "leaky"}),
               await client.post("/console/quarantine/reprocess",
                                 data={"csrf": csrf, "id": "4242"}),
               await client.post("/console/quarantine/reprocess",
                                 data={"csrf": csrf, "id": "<b>x</b>"})]
    for answer in answers:
        assert answer.status_code == 404 and "<h1>404 · " in answer.text, answer.url
        assert "<b>x</b>" not in answer.text


async def test_bad_filters_are_named(client):
    answer = await client.get("/console/events?kind=<script>")
    assert answer.status_code == 400 and "Choose a kind and a state" in answer.text
    assert "<script>" not in answer.text


async def test_actions_never_redirect_off_the_console(console, client):
    await console.post(payloads.text_message("hello"))
    await console.settle()
    csrf = await csrf_of(client, "/console/dead-letters")
    key = first_key((await client.get("/console/dead-letters")).text)
    for target in ("https://evil.example/", "//evil.example/console", "/console\\@evil",
                   "/elsewhere"):
        answer = await client.post("/console/events/replay",
                                   data={"csrf": csrf, "key": key, "next": target})
        assert answer.headers["location"] == "/console/events", target
    answer = await client.post("/console/events/replay",
                               data={"csrf": csrf, "key": key,
                                     "next": "/console/events?kind=message"})
    assert answer.headers["location"] == "/console/events?kind=message"


async def test_no_page_shows_a_secret(console, client, caplog):
    caplog.set_level(logging.INFO, logger="botkit.console")
    await console.post(payloads.text_message("hello"))
    await console.settle()
    letters = await client.get("/console/dead-letters")
    assert "access_token=[redacted] failed: &lt;b&gt;401&lt;/b&gt;" in letters.text
    key = first_key(letters.text)
    pages = [letters, await client.get("/console/event", params={"key": key}),
             await client.get("/console"), await client.get("/console/events"),
             await client.get("/console/api/overview"), await client.get("/console/quarantine")]
    for page in pages:
        for secret in (ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, CONSOLE_TOKEN):
            assert secret not in page.text, (page.url, secret)
    for record in caplog.records:
        if record.name == "botkit.console":
            assert CONSOLE_TOKEN not in record.getMessage()
