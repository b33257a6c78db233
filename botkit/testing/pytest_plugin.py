"""pytest fixtures for bots and plugins (loaded through the ``pytest11`` entry point)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest


@pytest.fixture
def fake_graph() -> Iterator:
    """A fake Graph API on a loopback port, checking the test access token."""
    from .fake_graph import FakeGraphAPI
    from .harness import ACCESS_TOKEN

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
    from .harness import BotRunner, make_settings

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
