"""Rules, placeholders, quiet message types and business hours, through the real app: signed
payloads in, replies out to the fake Graph API."""

from __future__ import annotations

import pytest

PNID = "109862385428321"


def replies(fake_graph) -> list:
    """What was sent, oldest first: text bodies as strings, other messages as dicts."""
    out = []
    for body in fake_graph.sent_messages(PNID):
        out.append(body["text"]["body"] if body["type"] == "text" else body)
    return out


async def test_text_rules_match_as_documented(start_auto_reply, fake_graph, payloads):
    bot = await start_auto_reply({
        "default_reply": "Thanks {name}, we will get back to you.",
        "mark_read": False,
        "rules": [
            {"name": "prices", "keywords": ["price", "how much"],
             "reply": "Our prices are on the website."},
            {"exact": ["hi", "Hello"], "reply":
             "Hello {name}! You wrote from {wa_id} to {business_number}."},
            {"regex": [r"order\s*#?\d{4,}"], "reply": "Looking up {text}"},
        ],
    })
    messages = [
        "What's the PRICE?",        # keyword, any case
        "priceless advice",         # not the word 'price': default
        "  hello ",                 # exact, ignoring case and surrounding spaces
        "hello there",              # not exactly 'hello': default
        "where is ORDER #12345",    # regex, case-insensitive
        "How   much\nis it",        # a phrase across any whitespace
    ]
    for n, text in enumerate(messages):
        assert (await bot.post(payloads.text(text, n))).status_code == 200
    await bot.settle()
    assert replies(fake_graph) == [
        "Our prices are on the website.",
        "Thanks Priya Raman, we will get back to you.",
        "Hello Priya Raman! You wrote from 15557654321 to 15551234567.",
        "Thanks Priya Raman, we will get back to you.",
        "Looking up where is ORDER #12345",
        "Our prices are on the website.",
    ]
    assert {body["to"] for body in fake_graph.sent_messages(PNID)} == {"15557654321"}


async def test_first_matching_rule_wins_and_case_counts_where_asked(start_auto_reply,
                                                                      fake_graph, payloads):
    bot = await start_auto_reply({"mark_read": False, "rules": [
        {"keywords": ["order"], "reply": "first"},
        {"regex": [r"order \d+"], "reply": "second"},
        {"keywords": ["refund"], "reply": "third"},
        {"keywords": ["SALE"], "case_sensitive": True, "reply": "loud"},
        {"exact": ["Sale!"], "case_sensitive": True, "reply": "exactly so"},
    ]})
    messages = ["order 4471 please", "a refund for my order", "nothing to see",
                "BIG SALE today", "big sale today", "Sale!", "sale!"]
    for n, text in enumerate(messages):
        await bot.post(payloads.text(text, n))
    await bot.settle()
    # No rule and no default reply: silent.
    assert replies(fake_graph) == ["first", "first", "loud", "exactly so"]


async def test_buttons_list_picks_and_types_get_object_replies(start_auto_reply, fake_graph,
                                                               payloads):
    interactive = {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Thanks {name}! Anything else?"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "more", "title": "Yes"}}]},
        },
    }
    template = {"type": "template", "template": {"name": "photo_received",
                                                 "language": {"code": "en_US"}}}
    bot = await start_auto_reply({"mark_read": False, "rules": [
        {"payloads": ["STOP_PROMOTIONS"], "reply": "No more promotions, {name}."},
        {"payloads": ["confirm-order-4471"], "reply": "payloads are for template buttons only"},
        {"reply_ids": ["confirm-order-4471"], "reply": interactive},
        {"types": ["image"], "reply": template},
    ]})
    await bot.post(payloads.load("message_button.json"))
    await bot.post(payloads.load("message_interactive_button_reply.json"))
    await bot.post(payloads.load("message_image.json"))
    await bot.settle()
    by_recipient = {body["to"]: body for body in fake_graph.sent_messages(PNID)}
    assert len(fake_graph.sent_messages(PNID)) == 3
    assert by_recipient["233555012345"]["text"]["body"] == "No more promotions, Kofi Mensah."
    sent = by_recipient["15557654321"]
    assert sent["type"] == "interactive"
    assert sent["interactive"]["body"]["text"] == "Thanks Priya Raman! Anything else?"
    assert sent["interactive"]["action"] == interactive["interactive"]["action"]
    image_sender = payloads.load("message_image.json")["entry"][0]["changes"][0]["value"][
        "messages"][0]["from"]
    assert by_recipient[image_sender]["template"] == template["template"]


QUIET = ["message_reaction.json", "message_system_user_changed_number.json",
         "message_unsupported.json"]


async def test_quiet_types_get_no_reply_unless_a_rule_names_them(start_auto_reply, fake_graph,
                                                                 payloads):
    bot = await start_auto_reply({"default_reply": "Thanks!", "mark_read": False, "rules": [
        {"keywords": ["changed"], "reply": "keyword rules skip system messages"},
    ]})
    for name in QUIET:
        await bot.post(payloads.load(name))
    await bot.post(payloads.load("message_request_welcome.json"))
    await bot.settle()
    sent = fake_graph.sent_messages(PNID)
    welcome = payloads.load("message_request_welcome.json")["entry"][0]["changes"][0]["value"]
    assert [(body["to"], body["text"]["body"]) for body in sent] == [
        (welcome["messages"][0]["from"], "Thanks!")]


async def test_a_rule_naming_a_quiet_type_answers_it(start_auto_reply, fake_graph, payloads):
    bot = await start_auto_reply({"default_reply": "Thanks!", "mark_read": False, "rules": [
        {"types": ["reaction"], "reply": "Glad you liked it {name}"},
    ]})
    await bot.post(payloads.load("message_reaction.json"))
    await bot.post(payloads.load("message_reaction_removed.json"))
    await bot.settle()
    texts = replies(fake_graph)
    assert len(texts) == 2 and all(t.startswith("Glad you liked it") for t in texts)


async def test_missing_placeholder_values_are_empty_and_empty_replies_are_not_sent(
        start_auto_reply, fake_graph, payloads):
    bot = await start_auto_reply({"mark_read": False, "rules": [
        {"keywords": ["hey"], "reply": "Hi {name}!"},
        {"types": ["image"], "reply": "{text}"},
    ]})
    await bot.post(payloads.text("hey", 1, name=None))
    image = payloads.load("message_image.json")
    del image["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["caption"]
    await bot.post(image)  # "{text}" of an image without caption is empty: nothing to send
    await bot.settle()
    assert replies(fake_graph) == ["Hi !"]


BERLIN_HOURS = {"timezone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu", "fri"],
                "open": "09:00", "close": "17:00",
                "away_reply": "We are closed, {name}; we open at 9:00."}
WED_13_BERLIN = 1782900000 + 3600       # Wed 2026-07-01 11:00 UTC = 13:00 in Berlin (CEST)
WED_18_BERLIN = 1782900000 + 6 * 3600   # 16:00 UTC = 18:00 in Berlin
SAT_12_BERLIN = 1782900000 + 3 * 86400  # Sat 2026-07-04 12:00 in Berlin


async def test_away_reply_outside_business_hours(start_auto_reply, fake_graph, payloads):
    now = [WED_13_BERLIN]
    bot = await start_auto_reply({
        "default_reply": "Thanks, {name}!", "mark_read": False,
        "business_hours": BERLIN_HOURS,
        "rules": [{"keywords": ["hours"], "reply": "Mon-Fri 9-17"}],
    }, clock=lambda: now[0])
    for n, when in enumerate([WED_13_BERLIN, WED_18_BERLIN, SAT_12_BERLIN]):
        now[0] = when
        await bot.post(payloads.text("hello", n, timestamp=when))  # written just now
        await bot.settle()
    # Rules answer when closed too.
    await bot.post(payloads.text("what are your hours?", 9, timestamp=SAT_12_BERLIN))
    await bot.settle()
    assert replies(fake_graph) == [
        "Thanks, Priya Raman!",
        "We are closed, Priya Raman; we open at 9:00.",
        "We are closed, Priya Raman; we open at 9:00.",
        "Mon-Fri 9-17",
    ]


@pytest.mark.parametrize("receipts", ["off", "plain", "typing"])
async def test_marks_messages_read(start_auto_reply, fake_graph, payloads, receipts):
    bot = await start_auto_reply({"default_reply": "Thanks!", "mark_read": receipts != "off",
                                  "typing_indicator": receipts == "typing"})
    message = payloads.text("hello", 1)
    await bot.post(message)
    await bot.post(payloads.load("message_system_user_changed_number.json"))
    await bot.settle()
    assert replies(fake_graph) == ["Thanks!"]
    kinds = [("read" if r.json.get("status") == "read" else r.json["type"])
             for r in fake_graph.requests]
    if receipts == "off":
        assert fake_graph.read_receipts() == [] and kinds == ["text"]
        return
    wamid = message["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    [receipt] = fake_graph.read_receipts()  # one per message; none for the system message
    assert receipt["message_id"] == wamid
    assert ("typing_indicator" in receipt) is (receipts == "typing")
    # The typing indicator shows before the reply, and no plain receipt follows it.
    assert kinds == (["read", "text"] if receipts == "typing" else ["text", "read"])
