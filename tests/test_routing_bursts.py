"""Bursts: quick consecutive messages handled once, together, even across a restart."""

from __future__ import annotations

from botkit.routing import Router
from botkit.routing import filters as f
from botkit.testing import ManualClock
from botkit.testing.conversation import conversation


def burst_router(calls: list[list[str]]) -> Router:
    router = Router("bursty")

    @router.burst(3.0, f.text.any())
    def together(messages, conversation):
        texts = [m.text for m in messages]
        calls.append(texts)
        return " + ".join(texts)

    return router


async def test_a_burst_is_handled_once_with_every_message_in_order():
    calls: list[list[str]] = []
    clock = ManualClock()
    async with conversation(extra_plugins={"bursty": burst_router(calls)},
                            enabled_plugins=["bursty"], clock=clock,
                            conversations={"timer_poll_seconds": 0.05}) as chat:
        await chat.send_text("hi")
        await chat.advance(1)
        await chat.send_text("i need help")
        await chat.restart()  # the burst so far is conversation state: it survives
        await chat.advance(2)
        await chat.send_text("with my order")
        assert await chat.reply_texts() == []  # still within the window
        await chat.advance(4)
        assert await chat.reply_texts() == ["hi + i need help + with my order"]
        await chat.send_text("thanks")
        await chat.advance(4)
        assert await chat.reply_texts() == ["thanks"]
    assert calls == [["hi", "i need help", "with my order"], ["thanks"]]
