"""pytest fixtures for bots and plugins (loaded through the ``pytest11`` entry point)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest


@pytest.fixture
def fake_graph() -> Iterator:
    """A fake Graph API on a loopback port, checking the test access token."""
    from botkit.testing.fake_graph import FakeGraphAPI
    from botkit.testing.harness import ACCESS_TOKEN

    server = FakeGraphAPI(access_token=ACCESS_TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def botkit_runner_factory(tmp_path) -> AsyncIterator:
    """``await start(enabled_plugins=[...], extra_plugins={name: obj}, plugins={name: table},
    **tables)`` gives a running :class:`~botkit.testing.BotRunner` (settings as
    :func:`~botkit.testing.make_settings` builds them); every runner is stopped after the test."""
    from botkit.testing.harness import BotRunner, make_settings

    runners: list[BotRunner] = []

    async def start(*, extra_plugins=None, clock=None, **options) -> BotRunner:
        settings = make_settings(tmp_path / f"bot{len(runners)}", **options)
        kwargs = {"clock": clock} if clock else {}
        runner = BotRunner(settings, extra_plugins=extra_plugins, **kwargs)
        await runner.__aenter__()
        runners.append(runner)
        return runner

    yield start
    for runner in reversed(runners):
        await runner.__aexit__(None, None, None)


@pytest.fixture
async def bot_conversation(tmp_path) -> AsyncIterator:
    """``chat = await bot_conversation(enabled_plugins=[...], plugins={name: table}, ...)``
    gives a :class:`~botkit.testing.Conversation` with a running bot (options as for
    :func:`botkit.testing.conversation.conversation`); every bot is stopped after the test."""
    import contextlib

    from botkit.testing.conversation import conversation

    async with contextlib.AsyncExitStack() as stack:
        started = 0

        async def start(**options):
            nonlocal started
            started += 1
            options.setdefault("data_dir", tmp_path / f"chat{started}")
            return await stack.enter_async_context(conversation(**options))

        yield start
