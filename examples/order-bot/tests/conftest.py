"""Fixtures for the order-bot's conversations: the bot on a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from order_chat import OrderWalk

from botkit.testing.conversation import Conversation
from botkit.testing.harness import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def start_chat(bot_conversation: Any, clock: ManualClock) -> Callable[..., Any]:
    """``chat = await start_chat(**settings)``: the order-bot on the test's clock, with
    ``[plugins.order-bot]`` taken from ``order_bot=`` and other tables as given."""
    async def start(order_bot: dict[str, Any] | None = None, **tables: Any) -> Conversation:
        return await bot_conversation(enabled_plugins=["order-bot"],
                                      plugins={"order-bot": order_bot or {}}, clock=clock,
                                      **tables)
    return start


@pytest.fixture
async def chat(start_chat: Callable[..., Any]) -> Conversation:
    return await start_chat()


@pytest.fixture
def walk(chat: Conversation) -> OrderWalk:
    return OrderWalk(chat)
