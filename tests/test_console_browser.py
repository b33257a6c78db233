"""The console in a real browser: signing in and out, the buttons, escaping of customer text,
the overview's charts and their live refresh. Screenshots go to tests/artifacts/console/."""

from __future__ import annotations

import asyncio
import time

import console_browser
import pytest
from console_browser import CONSOLE_TOKEN, running_console
from samples import Recorder

from botkit import hookimpl
from botkit.testing import encode, payloads

# The browser is started once for the module, so the tests share the module's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

# The fixture module's fixtures, used by name in the tests below.
chromium_path = console_browser.chromium_path
browser = console_browser.browser
artifacts = console_browser.artifacts

XSS = "<script>window.__xss=1</script>"
XSS_NAME = XSS + '<img src="x" onerror="window.__xss=2">'


class Switchable:
    """Fails on every message until fixed; its error quotes the message text."""

    def __init__(self) -> None:
        self.broken = True
        self.calls: list[tuple[str, int]] = []

    @hookimpl
    def message_received(self, message) -> None:
        self.calls.append((message.key, message.attempt))
        if self.broken and "fine" not in (message.text or ""):
            raise ConnectionError(f"CRM refused {message.text}")


async def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def open_page(browser, problems: list[str]):
    """A fresh browser context. Kept as problems: script errors, refusals by the content
    security policy, and any of the console's own files that did not load."""

    def console_message(message) -> None:
        # Chromium also reports every 4xx page as an error; the tests expect some of those.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def response(answer) -> None:
        if "/console/static/" in answer.url and answer.status != 200:
            problems.append(f"{answer.url}: {answer.status}")

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    page.on("console", console_message)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", response)
    return context, page


async def sign_in(page, url: str) -> None:
    await page.goto(f"{url}/console/login")
    await page.fill("#token", CONSOLE_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{url}/console")


async def test_signing_in_and_out_through_the_form(browser, tmp_path, artifacts):
    problems: list[str] = []
    async with running_console(tmp_path) as bot:
        url = bot.server.url
        context, page = await open_page(browser, problems)
        await page.goto(f"{url}/console/dead-letters")
        assert page.url == f"{url}/console/login"  # signed out: sent to the form
        await page.fill("#token", "not-the-token")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_text("That token is not right.").wait_for()
        assert await context.cookies() == []
        await page.screenshot(path=str(artifacts / "login.png"))
        await page.goto(f"{url}/console")
        assert page.url == f"{url}/console/login"

        await sign_in(page, url)
        [cookie] = await context.cookies()
        assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["secure"],
                cookie["path"]) == ("botkit_console", True, "Strict", False, "/console")
        assert CONSOLE_TOKEN not in cookie["value"]
        assert await page.evaluate("document.cookie") == ""  # not readable by scripts

        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_text("Signed out.").wait_for()
        assert page.url == f"{url}/console/login"
        await page.goto(f"{url}/console/events")
        assert page.url == f"{url}/console/login"
        await context.close()
    assert problems == []


async def test_a_dead_letter_is_retried_with_its_button(browser, tmp_path, artifacts):
    problems: list[str] = []
    crm = Switchable()
    async with running_console(tmp_path, extra_plugins={"crm": crm},
                               dispatch={"max_attempts": 1}) as bot:
        body = payloads.text_message("Is the blue planter in stock?")
        key = f"message:{body['entry'][0]['changes'][0]['value']['messages'][0]['id']}"
        await bot.post(body)
        await bot.settle()
        context, page = await open_page(browser, problems)
        await sign_in(page, bot.server.url)
        await page.get_by_role("link", name="Dead letters", exact=True).click()
        row = page.locator("tbody tr", has_text=key)
        assert "ConnectionError: CRM refused Is the blue planter in stock?" in \
            await row.inner_text()
        await page.screenshot(path=str(artifacts / "dead-letters.png"), full_page=True)

        crm.broken = False
        await row.get_by_role("button", name="Retry").click()
        await page.get_by_text(f"Dead letter of crm for {key} queued for another try.").wait_for()
        await wait_for(lambda: crm.calls == [(key, 1), (key, 2)])
        await bot.settle()
        await page.reload()
        await page.get_by_text("No dead letters.").wait_for()
        await page.get_by_role("link", name="Events", exact=True).click()
        await page.get_by_role("link", name=key).click()
        assert await page.locator("dl.facts .pill").inner_text() == "done"
        await context.close()
    assert problems == []


async def test_a_quarantined_body_is_reprocessed_with_its_button(browser, tmp_path, artifacts):
    problems: list[str] = []
    recorder = Recorder()
    async with running_console(tmp_path, extra_plugins={"rec": recorder}) as bot:
        await bot.post(b'{"object": "<b>not</b> json')
        # A body an earlier release could not read, kept by the store as the webhook keeps one.
        await bot.bot.store.quarantine("kept by an earlier release",
                                       encode(payloads.text_message("back from quarantine")))
        context, page = await open_page(browser, problems)
        await sign_in(page, bot.server.url)
        await page.get_by_role("link", name="Quarantine", exact=True).click()
        unreadable, readable = page.locator("tbody tr").nth(0), page.locator("tbody tr").nth(1)
        preview = unreadable.locator("pre.body-preview")
        assert await preview.inner_text() == '{"object": "<b>not</b> json'
        assert await preview.locator("b").count() == 0  # shown as text, not as markup
        assert "signed body is not valid JSON" in await unreadable.inner_text()
        await page.screenshot(path=str(artifacts / "quarantine.png"), full_page=True)

        await readable.get_by_role("button", name="Reprocess").click()
        await page.get_by_text("handed to dispatch again.").wait_for()
        await wait_for(lambda: ("message_received" in recorder.counts()))
        [message] = [e for (hook, _, _), e in zip(recorder.calls, recorder.events, strict=True)
                     if hook == "message_received"]
        assert message.text == "back from quarantine"
        await page.get_by_role("button", name="Reprocess").click()  # the one left
        await page.get_by_text("is still unreadable; it stays in quarantine.").wait_for()
        await context.close()
    assert problems == []


async def test_customer_text_names_and_plugin_errors_are_shown_as_text(browser, tmp_path,
                                                                        artifacts):
    problems: list[str] = []
    async with running_console(tmp_path, extra_plugins={"crm": Switchable()},
                               dispatch={"max_attempts": 1}) as bot:
        body = payloads.text_message(XSS, name=XSS_NAME)
        key = f"message:{body['entry'][0]['changes'][0]['value']['messages'][0]['id']}"
        await bot.post(body)
        await bot.settle()
        context, page = await open_page(browser, problems)
        await sign_in(page, bot.server.url)
        for path in ("/console/events", "/console/quarantine", "/console/dead-letters"):
            await page.goto(bot.server.url + path)
            assert await page.evaluate("typeof window.__xss") == "undefined"
            assert await page.locator("script").count() == 1  # the console's own file
        error = await page.locator("td.error-text").inner_text()  # the dead letters page
        assert error == f"ConnectionError: CRM refused {XSS}"
        await page.goto(f"{bot.server.url}/console/events")
        await page.get_by_role("link", name=key).click()
        assert await page.locator(".message-text").inner_text() == XSS
        assert await page.locator(".customer-name").inner_text() == XSS_NAME
        assert await page.locator("dl.facts img, dl.facts script").count() == 0
        assert await page.evaluate("typeof window.__xss") == "undefined"
        await page.screenshot(path=str(artifacts / "event.png"), full_page=True)
        await context.close()
    assert problems == []


async def test_the_overview_charts_the_last_hour_and_refreshes_itself(browser, tmp_path,
                                                                       artifacts):
    problems: list[str] = []
    earlier = [0.0]
    crm = Switchable()
    async with running_console(tmp_path, extra_plugins={"crm": crm},
                               dispatch={"max_attempts": 1},
                               clock=lambda: time.time() - earlier[0]) as bot:
        minutes = {}
        for n, minutes_ago in enumerate((55, 48, 48, 41, 33, 33, 33, 26, 19, 12, 12, 6, 3)):
            earlier[0] = minutes_ago * 60
            text = "fine" if n % 4 else "needs a human"
            await bot.post(payloads.message("text", {"body": text}, with_contact=False,
                                            sender=f"1555010{n:04d}"))
            minutes[minutes_ago] = minutes.get(minutes_ago, 0) + 1
        await bot.settle()
        earlier[0] = 0.0
        context, page = await open_page(browser, problems)
        await page.clock.install()
        await sign_in(page, bot.server.url)
        heights = await page.locator("svg.received rect").evaluate_all(
            "rects => rects.map(r => Number(r.getAttribute('height')))")
        assert len(heights) == 60 and sum(1 for h in heights if h) == len(minutes)
        assert max(heights) == 100  # the busiest minute (3 messages) is the tallest bar
        assert sum(1 for h in await page.locator("svg.dead rect").evaluate_all(
            "rects => rects.map(r => Number(r.getAttribute('height')))") if h) >= 1
        assert await page.locator('[data-stat="received_last_hour"]').inner_text() == "13"
        await page.screenshot(path=str(artifacts / "overview.png"), full_page=True)

        await bot.post(payloads.message("text", {"body": "fine, one more"}, with_contact=False))
        await bot.settle()
        earlier[0] = -5.0  # past the console's 3 s cache
        await page.clock.fast_forward(11_000)  # the refresh timer fires; the page asks the API
        await page.locator('[data-stat="received_last_hour"]', has_text="14").wait_for()
        assert (await page.locator("[data-live]").inner_text()).startswith("updated ")
        await page.get_by_role("link", name="Events", exact=True).click()
        assert await page.locator("tbody tr").count() == 14
        await page.screenshot(path=str(artifacts / "events.png"))
        await context.close()
    assert problems == []
