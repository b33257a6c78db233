"""What the core keeps in bot.state and opens on first use is opened once, even when handlers
ask for it at the same moment (the template cache and the media index and keeper use this)."""

from __future__ import annotations

import asyncio

import pytest

from botkit.state_once import made_once


class Opened:
    pass


async def test_callers_at_the_same_moment_share_one_made_object():
    state: dict = {}
    made = []

    async def make() -> Opened:
        await asyncio.sleep(0.05)  # opening takes a while: the others arrive meanwhile
        made.append(Opened())
        return made[-1]

    found = await asyncio.gather(*[made_once(state, "thing", Opened, make) for _ in range(5)])
    assert len(made) == 1 and all(item is made[0] for item in found)
    assert await made_once(state, "thing", Opened, make) is made[0] and len(made) == 1


async def test_a_key_holding_something_else_is_an_error_not_a_silent_replacement():
    async def make() -> Opened:
        return Opened()

    with pytest.raises(TypeError, match="holds a str, not Opened"):
        await made_once({"thing": "other"}, "thing", Opened, make)
