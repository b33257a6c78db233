"""Fixtures for the console tests: the system's Chromium driven by Playwright, and a running bot
with the console installed (real app, real server on loopback, fake Graph API).

Chromium comes from Debian (``apt-get install -y chromium``), not from Playwright's own download,
which cannot be fetched here. A missing browser fails the tests with the command that installs
it: a browser test that silently skips proves nothing.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from botkit.console import ConsoleSettings, install_console
from botkit.testing import ACCESS_TOKEN, BotRunner, FakeGraphAPI, make_settings

CONSOLE_TOKEN = "console-token-0123456789-abcdefghijklmnop"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "console"
CHROMIUM_INSTALL = "apt-get update && apt-get install -y chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def find_chromium() -> str:
    """The system Chromium's path; fails the test, naming the install command, when missing."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail(f"Chromium is not installed; the console's browser tests need it. Install it "
                f"as root with: {CHROMIUM_INSTALL}", pytrace=False)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return find_chromium()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium_path: str) -> AsyncIterator[Any]:
    """A headless Chromium shared by a module's tests, each of which opens a context of its own
    (Playwright's async API: mark the module ``pytest.mark.asyncio(loop_scope="module")``)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: .venv/bin/pip install playwright "
                    "(its browser download is not used: do not run 'playwright install')",
                    pytrace=False)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path,
                                                    args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots of the console go (kept out of version control)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@contextlib.asynccontextmanager
async def running_console(data_dir: Path, *, extra_plugins: Mapping[str, Any] | None = None,
                          console: Mapping[str, Any] | None = None, clock: Any = None,
                          **tables: Any) -> AsyncIterator[BotRunner]:
    """A bot served on loopback with the console at ``/console`` (token ``CONSOLE_TOKEN``);
    ``extra_plugins`` are enabled in the given order, ``tables`` are settings tables. The
    runner's ``graph`` is the fake Graph API the bot sends to."""
    async with FakeGraphAPI(access_token=ACCESS_TOKEN) as graph:
        settings = make_settings(data_dir, enabled_plugins=list(extra_plugins or {}),
                                 whatsapp={"graph_url": graph.url}, **tables)
        options = {"clock": clock} if clock else {}
        runner = BotRunner(settings, extra_plugins=extra_plugins, **options)
        runner.graph = graph  # type: ignore[attr-defined]  # what the bot sent, for tests
        install_console(runner.app, runner.bot, ConsoleSettings(
            enabled=True, token=CONSOLE_TOKEN, **(console or {})))
        async with runner:
            yield runner


async def signed_in_client(runner: BotRunner) -> httpx.AsyncClient:
    """An HTTP client holding a console session (signed in through the form)."""
    client = httpx.AsyncClient(base_url=runner.server.url, timeout=30)
    answer = await client.post("/console/login", data={"token": CONSOLE_TOKEN})
    assert answer.status_code == 303, answer.text
    return client


async def csrf_of(client: httpx.AsyncClient, page: str = "/console") -> str:
    """The CSRF token the console puts into the forms of ``page``."""
    answer = await client.get(page)
    found = CSRF_FIELD.search(answer.text)
    assert found, f"no form with a CSRF token on {page}"
    return found.group(1)
