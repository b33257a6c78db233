"""Asking and waiting for the answer: durable across restarts, cancel words, wrong kinds and
timeouts, through a running bot."""

from __future__ import annotations

from botkit.routing import Router
from botkit.routing import filters as f
from botkit.testing import ManualClock
from botkit.testing.conversation import conversation


def signup_router() -> Router:
    router = Router("signup")

    @router.message(f.text.equals("signup", ignore_case=True))
    def start(message, conversation):
        conversation.ask("name", "What is your name?", expect="text", timeout=60,
                         cancel_words=("stop",))

    @router.answer("name")
    def got_name(message, conversation):
        conversation.data["name"] = message.text
        conversation.ask("place", "Where are you? Share a location.", expect="location")

    @router.answer("place")
    def got_place(message, conversation):
        return f"Thanks {conversation.data['name']}, see you at {message.content['latitude']}"

    @router.cancelled("name")
    def stopped(message):
        return "Stopped."

    @router.timed_out("name")
    def too_slow(timer, conversation):
        return "No answer; send 'signup' to start again."

    @router.message()
    def other(message):
        return "Send 'signup'."

    return router


async def test_an_answer_after_a_restart_goes_to_its_step_and_a_wrong_kind_is_asked_again():
    async with conversation(extra_plugins={"signup": signup_router()},
                            enabled_plugins=["signup"]) as chat:
        await chat.send_text("signup")
        assert await chat.reply_texts() == ["What is your name?"]
        await chat.restart()
        await chat.send_location(52.5, 13.4)  # not text: the question comes again
        assert await chat.reply_texts() == ["What is your name?"]
        await chat.send_text("Ada")
        assert await chat.reply_texts() == ["Where are you? Share a location."]
        await chat.send_text("Berlin")
        assert await chat.reply_texts() == ["Where are you? Share a location."]
        await chat.send_location(52.5, 13.4)
        assert await chat.reply_texts() == ["Thanks Ada, see you at 52.5"]
        await chat.send_text("hello")
        assert await chat.reply_texts() == ["Send 'signup'."]


async def test_a_cancel_word_and_a_timeout_end_the_wait():
    clock = ManualClock()
    async with conversation(extra_plugins={"signup": signup_router()},
                            enabled_plugins=["signup"], clock=clock,
                            conversations={"timer_poll_seconds": 0.05}) as chat:
        await chat.send_text("signup")
        await chat.send_text("  STOP ")
        assert await chat.reply_texts() == ["What is your name?", "Stopped."]
        await chat.send_text("signup")
        assert await chat.reply_texts() == ["What is your name?"]
        await chat.advance(61)
        assert await chat.reply_texts() == ["No answer; send 'signup' to start again."]
        await chat.send_text("Ada")  # the wait is over: not taken as a name
        assert await chat.reply_texts() == ["Send 'signup'."]
