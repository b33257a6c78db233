"""The order dialog as a customer meets it: sizes, address, confirmation, and the hints."""

from __future__ import annotations

from pathlib import Path

import pytest
from order_chat import ADDRESS, OrderWalk, titles

from botkit import SettingsError
from botkit.cli import load_settings
from botkit.testing import BotRunner, make_settings, reply_buttons, reply_text

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "botkit.toml"


async def test_an_order_from_start_to_finish(walk):
    for step in OrderWalk.STEPS:
        await walk.step(step)
    await walk.chat.send_text("thanks")
    [hint] = await walk.chat.reply_texts()
    assert "order" in hint  # the order is over: the next text gets the hint


async def test_small_is_offered_and_kept_too(chat):
    await chat.send_text("order")
    [sizes] = await chat.replies()
    [small] = [button for button in reply_buttons(sizes) if button[1] == "Small"]
    await chat.tap_button(*small)
    [question] = await chat.reply_texts()
    assert "address" in question
    await chat.send_text(ADDRESS)
    [confirmation] = await chat.replies()
    assert "Small" in reply_text(confirmation) and ADDRESS in reply_text(confirmation)


async def test_cancel_ends_the_order(walk):
    for step in ("order", "size", "address"):
        await walk.step(step)
    await walk.chat.tap_button(walk.offered["Cancel"], "Cancel")
    [cancelled] = await walk.chat.replies()
    assert cancelled["type"] == "text" and "cancelled" in reply_text(cancelled)
    await walk.chat.send_text("hello")
    [hint] = await walk.chat.reply_texts()
    assert "order" in hint and "placed" not in hint


@pytest.mark.parametrize("typed, outcome", [("  CONFIRM ", "Order placed"),
                                            ("Cancel", "cancelled")])
async def test_texts_are_compared_trimmed_and_in_any_case(chat, typed, outcome):
    await chat.send_text("  ORDER\n")
    [sizes] = await chat.replies()
    assert titles(sizes) == ["Small", "Large"]
    await chat.tap_button(*reply_buttons(sizes)[1])
    await chat.send_text(f"  {ADDRESS}  ")
    [_, confirmation] = await chat.replies()
    assert f"{ADDRESS}." in reply_text(confirmation)  # the address, trimmed
    await chat.send_text(typed)
    [done] = await chat.reply_texts()
    assert outcome in done


async def test_outside_an_order_other_text_gets_the_hint(chat):
    for text in ("hi", "what do you sell?", "ordering"):
        await chat.send_text(text)
    hints = await chat.reply_texts()
    assert len(hints) == 3 and all("order" in hint for hint in hints)


async def test_media_and_reactions_are_not_part_of_the_dialog(chat):
    await chat.send_image(caption="order")
    await chat.react("wamid.SOMETHING", "\N{THUMBS UP SIGN}")
    assert await chat.replies() == []
    await chat.send_text("order")
    await chat.send_image(caption="Large")
    [sizes] = await chat.replies()  # the image neither answered nor moved the order
    assert titles(sizes) == ["Small", "Large"]


async def test_a_question_left_unanswered_is_asked_again(chat):
    await chat.send_text("order")
    await chat.send_text("large please")
    [first, again] = await chat.replies()
    assert titles(first) == titles(again) == ["Small", "Large"]
    await chat.tap_button(*reply_buttons(again)[0])
    await chat.tap_button("order:size:large", "Large")  # an old button, now out of place
    [question, again] = await chat.reply_texts()
    assert "address" in question and "address" in again
    await chat.send_text(ADDRESS)
    await chat.send_text("yes")
    [confirmation, repeated] = await chat.replies()
    assert titles(confirmation) == titles(repeated) == ["Confirm", "Cancel"]
    assert reply_text(confirmation) == reply_text(repeated)


async def test_an_address_too_long_for_the_confirmation_is_asked_again(chat):
    await chat.send_text("order")
    await chat.tap_button("order:size:small", "Small")
    await chat.send_text("x" * 301)
    [_, _, too_long] = await chat.reply_texts()
    assert "shorter address" in too_long


async def test_customers_have_orders_of_their_own(chat):
    jonas = chat.with_customer("4915550123456", "Jonas Weber")
    await chat.send_text("order")
    await jonas.send_text("order")
    await chat.tap_button("order:size:small", "Small")
    await jonas.tap_button("order:size:large", "Large")
    await chat.send_text(ADDRESS)
    await jonas.send_text("Hauptstrasse 5, Berlin")
    [_, _, mine] = await chat.replies()
    [_, _, his] = await jonas.replies()
    assert reply_text(mine) == f"Small to {ADDRESS}. Shall I place the order?"
    assert reply_text(his) == "Large to Hauptstrasse 5, Berlin. Shall I place the order?"


def test_settings_have_defaults_and_are_checked(tmp_path):
    bot = BotRunner(make_settings(tmp_path, enabled_plugins=["order-bot"])).bot
    assert dict(bot.config("order-bot")) == {"timeout_seconds": 900,
                                             "fallback_template": "order_followup",
                                             "fallback_language": "en_US"}
    wrong = make_settings(tmp_path, enabled_plugins=["order-bot"], plugins={
        "order-bot": {"timeout_seconds": 0, "fallback_template": "Order Followup",
                      "timeout": 60}})
    with pytest.raises(SettingsError) as problem:
        BotRunner(wrong)  # the bot is built, as `botkit serve` and `botkit check` build it
    text = str(problem.value)
    assert "plugins.order-bot.timeout_seconds" in text
    assert "plugins.order-bot.fallback_template" in text
    assert "'timeout' was unexpected" in text


def test_the_settings_file_is_valid(monkeypatch):
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "t")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "s")
    settings = load_settings(str(SETTINGS_FILE))
    bot = BotRunner(settings).bot  # built as `botkit serve` would
    assert dict(bot.config("order-bot")) == {"timeout_seconds": 900,
                                             "fallback_template": "order_followup",
                                             "fallback_language": "en_US"}
    assert settings.conversations.business_app_handoff is True
