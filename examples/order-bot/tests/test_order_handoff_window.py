"""A person taking over (the customer asks, or the business answers from the WhatsApp Business
app), and customers whose 24-hour window is closed."""

from __future__ import annotations

from order_chat import TIMEOUT, OrderWalk, botkit_command, business_echo, titles

from botkit.testing import reply_text

DAY = 24 * 3600


async def assert_silent(chat) -> None:
    """Nothing the customer does gets an answer from the bot."""
    await chat.send_text("order")
    await chat.send_text("agent")
    await chat.tap_button("order:size:large", "Large")
    await chat.advance(2 * TIMEOUT)  # the order's timeout, had the order gone on
    assert await chat.replies() == []


async def test_agent_hands_the_chat_to_a_person_until_resumed(walk, tmp_path):
    chat = walk.chat
    await walk.step("order")
    await walk.step("size")
    await chat.send_text("  Agent ")
    [handed_over] = await chat.replies()
    assert handed_over["type"] == "text" and "agent" in reply_text(handed_over)
    await assert_silent(chat)
    await chat.restart()
    await assert_silent(chat)  # the handoff is in the store, not in the process

    output = await botkit_command(chat, tmp_path, "handoff", "resume", chat.customer)
    assert "back with the bot" in output
    await chat.settle()
    await chat.send_text("12 Rose Street")  # the order ended with the handoff
    [hint] = await chat.reply_texts()
    assert "order" in hint and "Shall I" not in hint
    await chat.send_text("order")
    [sizes] = await chat.replies()
    assert titles(sizes) == ["Small", "Large"]


async def test_a_handoff_ends_when_its_ttl_runs_out(start_chat):
    chat = await start_chat(conversations={"handoff_ttl_seconds": 4 * TIMEOUT})
    await chat.send_text("agent")
    [handed_over] = await chat.reply_texts()
    assert "agent" in handed_over
    await assert_silent(chat)  # 2 timeouts of the 4 have passed
    await chat.advance(2 * TIMEOUT)
    await chat.send_text("order")
    [sizes] = await chat.replies()
    assert titles(sizes) == ["Small", "Large"]


async def test_a_reply_from_the_business_app_hands_the_chat_over(walk):
    chat = walk.chat
    await walk.step("order")
    await chat.send(business_echo(chat.customer))
    await chat.settle()
    await assert_silent(chat)
    other = chat.with_customer("4915550123456", "Jonas Weber")
    await other.send_text("order")  # only the customer the business wrote to is handed over
    [sizes] = await other.replies()
    assert titles(sizes) == ["Small", "Large"]


async def test_a_redelivered_business_echo_hands_over_once(walk, tmp_path):
    chat = walk.chat
    echo = business_echo(chat.customer)
    await chat.send(echo)
    await chat.settle()
    await botkit_command(chat, tmp_path, "handoff", "resume", chat.customer)
    await chat.settle()
    await chat.send(echo)  # Meta delivers the same echo again after the resume
    await walk.step("order")  # the bot has the chat: the old echo did not take it again


async def test_a_delayed_message_gets_the_fallback_template_once(chat, clock):
    two_days_old = int(clock()) - 2 * DAY
    wamid = await chat.send_text("order", timestamp=two_days_old)
    await chat.redeliver(wamid)
    [template] = await chat.replies()
    assert template["type"] == "template"
    assert template["template"] == {"name": "order_followup", "language": {"code": "en_US"}}
    await chat.send_text("order")  # the customer writes again: the window is open
    [sizes] = await chat.replies()
    assert titles(sizes) == ["Small", "Large"]


async def test_the_fallback_template_follows_the_settings(start_chat, clock):
    chat = await start_chat(order_bot={"fallback_template": "bestellung_offen",
                                       "fallback_language": "de"})
    await chat.send_text("hello", timestamp=int(clock()) - DAY - 1)
    [template] = await chat.replies()
    assert template["template"] == {"name": "bestellung_offen", "language": {"code": "de"}}


async def test_a_timeout_after_the_window_closed_sends_the_template(start_chat):
    chat = await start_chat(order_bot={"timeout_seconds": DAY + TIMEOUT})
    walk = OrderWalk(chat)
    await walk.step("order")
    await chat.advance(DAY + TIMEOUT)
    [template] = await chat.replies()
    assert template["type"] == "template"
    assert template["template"]["name"] == "order_followup"
