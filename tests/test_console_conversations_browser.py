"""A customer's conversation in a real browser: the list, the timeline with Meta's statuses,
Take over (the bot stays silent), Hand back (it answers again) and an operator's reply, all
through signed webhooks and the fake Graph API. Screenshots go to tests/artifacts/console/."""

from __future__ import annotations

import shutil
from pathlib import Path

import console_browser
import pytest
from console_browser import running_console
from test_console_browser import open_page, sign_in
from timeline_kit import CUSTOMER, Echo

from botkit.testing import payloads
from botkit.timeline import customer_timeline

pytestmark = pytest.mark.asyncio(loop_scope="module")

chromium_path = console_browser.chromium_path
browser = console_browser.browser
artifacts = console_browser.artifacts

DOCS_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
NAME = "Priya <img src=x onerror=window.__xss=1>"


def texts(graph) -> list[str]:
    return [m["text"]["body"] for m in graph.sent_messages()]


async def test_an_operator_follows_takes_over_hands_back_and_replies(browser, tmp_path,
                                                                    artifacts):
    problems: list[str] = []
    async with running_console(tmp_path, extra_plugins={"echo": Echo()}) as bot:
        await bot.post(payloads.text_message("Has my order shipped?", name=NAME))
        await bot.post(payloads.text_message("Hi", sender="15550002222", name="Alan Turing"))
        await bot.settle()
        assert sorted(texts(bot.graph)) == ["echo Has my order shipped?", "echo Hi"]
        reply = next(e for e in customer_timeline(bot.settings.store.url, CUSTOMER).entries
                     if e.kind == "outbound")
        for status in ("sent", "delivered", "read"):
            await bot.post(payloads.status(reply.wamid, status))
        await bot.settle()

        context, page = await open_page(browser, problems)
        await sign_in(page, bot.server.url)
        await page.get_by_role("link", name="Conversations", exact=True).click()
        rows = page.locator("table.conversations tbody tr")
        assert await rows.count() == 2
        await page.screenshot(path=str(artifacts / "conversations.png"), full_page=True)
        await page.fill("input[name=q]", "priya")
        await page.get_by_role("button", name="Search").click()
        assert await rows.count() == 1
        await rows.first.get_by_role("link").click()

        timeline = page.locator("ol.timeline")
        inbound = timeline.locator("li.inbound").first
        assert await inbound.locator(".message-text").inner_text() == "Has my order shipped?"
        outbound = timeline.locator("li.outbound").first
        assert await outbound.locator(".outbound-text").inner_text() == \
            "echo Has my order shipped?"
        assert await outbound.locator("ul.statuses .pill").all_inner_texts() == [
            "sent", "delivered", "read"]
        assert await page.locator("h1 .customer-name").inner_text() == NAME
        assert await page.evaluate("typeof window.__xss") == "undefined"
        await page.screenshot(path=str(artifacts / "timeline.png"), full_page=True)

        await page.fill("input[name=reason]", "asks for a person")
        await page.get_by_role("button", name="Take over").click()
        await page.get_by_text("You have this conversation now").wait_for()
        await bot.post(payloads.text_message("Anyone there?"))
        await bot.settle()
        assert len(bot.graph.sent_messages()) == 2  # the bot stayed silent
        await page.reload()
        held = timeline.locator("li.outbound").last
        assert await held.locator(".outbound-text").inner_text() == "echo Anyone there?"
        assert await held.locator(".pill").first.inner_text() == "suppressed"
        assert "Taken over by operator:" in await timeline.locator("li.handoff").inner_text()

        await page.get_by_role("button", name="Hand back").click()
        await page.get_by_text("The bot has this conversation again.").wait_for()
        await bot.post(payloads.text_message("Hello again"))
        await bot.settle()
        assert texts(bot.graph)[-1] == "echo Hello again" and len(texts(bot.graph)) == 3

        await page.reload()
        await page.fill("#reply-text", "Your parcel left our warehouse today.")
        await page.get_by_role("button", name="Send reply").click()
        await page.get_by_text("Reply sent (wamid.").wait_for()
        await bot.settle()
        assert texts(bot.graph)[3:] == ["Your parcel left our warehouse today."]
        mine = timeline.locator("li.outbound").last
        assert "Operator sent" in await mine.inner_text()
        assert await mine.locator(".pill").first.inner_text() == "sent"
        assert await timeline.locator("li.timer").count() == 0  # the handoff's expiry is moot
        await page.screenshot(path=str(artifacts / "timeline-handoff.png"), full_page=True)
        docs_image = DOCS_IMAGES / "console-timeline.png"
        if not docs_image.exists():  # the documentation's picture: delete it to refresh it
            shutil.copyfile(artifacts / "timeline-handoff.png", docs_image)

        await page.get_by_role("link", name="Overview", exact=True).click()
        funnel = page.locator("figure.funnel-chart")
        assert await funnel.locator('rect[data-step="read"]').get_attribute("data-value") == "1"
        await funnel.screenshot(path=str(artifacts / "funnel.png"))
        await context.close()
    assert len(bot.graph.sent_messages()) == 4
    assert problems == []
