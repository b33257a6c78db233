"""Routers on durable conversations: state filters, the injected conversation, timer handlers."""

from __future__ import annotations

import asyncio
import time

from botkit.routing import Router
from botkit.routing import filters as f
from botkit.testing.conversation import conversation


def quiz_router() -> Router:
    router = Router("quiz")

    @router.message(f.text.equals("quiz", ignore_case=True))
    def start(message, conversation):
        conversation.set_state("asking")
        conversation.schedule("hurry", delay=30)
        return "What is 6 x 7?"

    @router.message(f.state("asking") & f.text.equals("42"))
    def right(message, conversation):
        conversation.clear()
        conversation.cancel("hurry")
        return "Right!"

    @router.message(f.state("asking"))
    def wrong(message, conversation):
        conversation.data["tries"] = conversation.data.get("tries", 0) + 1
        return f"Try again ({conversation.data['tries']})"

    @router.message()
    def idle(message):
        return "Send 'quiz' to play"

    @router.timer(name="hurry")
    def hurry(timer, conversation):
        conversation.clear()
        return "Time is up!"

    return router


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_state_filters_route_each_step_and_the_state_survives_between_events():
    async with conversation(extra_plugins={"quiz": quiz_router()},
                            enabled_plugins=["quiz"]) as chat:
        await chat.send_text("hello")
        await chat.send_text("quiz")
        await chat.send_text("41")
        await chat.send_text("40")
        await chat.send_text("42")
        await chat.send_text("42")
        assert await chat.reply_texts() == [
            "Send 'quiz' to play", "What is 6 x 7?", "Try again (1)", "Try again (2)",
            "Right!", "Send 'quiz' to play"]


async def test_a_timer_handler_answers_the_customer_once():
    clock = Clock()
    async with conversation(extra_plugins={"quiz": quiz_router()}, enabled_plugins=["quiz"],
                            clock=clock,
                            conversations={"timer_poll_seconds": 0.05}) as chat:
        await chat.send_text("quiz")
        assert await chat.reply_texts() == ["What is 6 x 7?"]
        clock.now += 31
        await asyncio.sleep(0.3)
        assert await chat.reply_texts() == ["Time is up!"]
        clock.now += 100
        await asyncio.sleep(0.2)
        await chat.send_text("42")  # the state was cleared by the timer
        assert await chat.reply_texts() == ["Send 'quiz' to play"]
