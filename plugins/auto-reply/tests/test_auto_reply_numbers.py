"""auto-reply behind one webhook for several numbers: each number answers from its own table,
as in the settings reference's example, with its own token."""

from __future__ import annotations

from botkit.testing.harness import ACCESS_TOKEN
from botkit.testing.payloads import text_message

SHOP, SUPPORT = "106540352242922", "106540352242933"
SHOP_TOKEN = "shop-token-9f8e"


async def test_each_number_gets_the_reply_of_its_own_table(start_auto_reply, fake_graph):
    fake_graph.add_number(SHOP, SHOP_TOKEN)
    bot = await start_auto_reply(
        {"default_reply": "Thanks! We'll get back to you soon.", "mark_read": False,
         "rules": [{"keywords": ["hours"], "reply": "We open at 9."}]},
        enabled_plugins=(),
        numbers={SHOP: {"access_token": SHOP_TOKEN, "enabled_plugins": ["auto-reply"],
                        "plugins": {"auto-reply": {
                            "default_reply": "Thanks for writing to the shop"}}},
                 SUPPORT: {"enabled_plugins": ["auto-reply"]}})
    for n, (number, text) in enumerate([(SHOP, "hello"), (SHOP, "your hours?"),
                                        (SUPPORT, "hello"), ("106540352242944", "hello")]):
        answer = await bot.post(text_message(text, phone_number_id=number,
                                             message_id=f"wamid.NUMBERS{n}"))
        assert answer.status_code == 200
    await bot.settle()
    sent = sorted((r.path.split("/")[2], r.bearer, r.json["text"]["body"])
                  for r in fake_graph.requests if r.path.endswith("/messages"))
    assert sent == sorted([
        (SHOP, SHOP_TOKEN, "Thanks for writing to the shop"),
        (SHOP, SHOP_TOKEN, "We open at 9."),  # the top-level rules still apply (merged)
        (SUPPORT, ACCESS_TOKEN, "Thanks! We'll get back to you soon."),
    ])  # the third number has no table and no top-level plugins: no reply
