"""Every built-in filter, and how filters compose: what matches, what does not, what data the
handler gets."""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace
from typing import Any

import pytest
from test_routing_events import contact, event, row, tap, template_tap, text

from botkit.routing import filters as f
from botkit.routing.context import current_conversation
from botkit.routing.filters_base import Filter, NotAFilter, as_filter
from botkit.routing.filters_messages import UnknownMediaKind, distance_km
from botkit.routing.filters_people import UnknownCallingCode, UnknownCountry
from botkit.testing import payloads


async def data(filter_: Any, item: Any) -> dict[str, Any] | None:
    return await as_filter(filter_).evaluate(item)


async def matches(filter_: Any, item: Any) -> bool:
    return await data(filter_, item) is not None


STATUS = event(payloads.status("wamid.S1", "read"))
FAILED = event(payloads.status("wamid.S2", "failed"))
IMAGE = event(payloads.image_message(caption="pizza"))
FIELD = event(payloads.field_change("message_template_status_update"))
ERROR = event(payloads.value_error(131000))


# -- text ----------------------------------------------------------------------------------

async def test_text_equals_trims_and_optionally_ignores_case():
    assert await matches(f.text.equals("menu"), text("  menu \n"))
    assert not await matches(f.text.equals("menu"), text("Menu"))
    assert await matches(f.text.equals("menu", ignore_case=True), text("MENU"))
    assert await matches(f.text.equals("yes", "y"), text("y"))
    assert await matches(f.text.equals(" straße ", ignore_case=True), text("STRASSE"))
    assert not await matches(f.text.equals("menu"), text("menu please"))


async def test_text_filters_only_look_at_text_messages():
    for rule in (f.text.equals("Tap"), f.text.contains("pizza"), f.text.any(),
                 f.text.startswith("pi"), f.text.regex("pizza")):
        assert not await matches(rule, tap("id", "Tap"))
        assert not await matches(rule, IMAGE)  # a caption is not a text message
        assert not await matches(rule, STATUS)


async def test_text_contains_startswith_and_unicode_forms():
    assert await matches(f.text.contains("pizza"), text("I want a pizza now"))
    assert not await matches(f.text.contains("Pizza"), text("I want a pizza"))
    assert await matches(f.text.contains("PIZZA", ignore_case=True), text("a pizza"))
    assert await matches(f.text.contains("pasta", "pizza"), text("pizza"))
    decomposed = "cafe\N{COMBINING ACUTE ACCENT}"
    assert await matches(f.text.contains("caf\N{LATIN SMALL LETTER E WITH ACUTE}"),
                         text(decomposed))
    assert await matches(f.text.startswith("order"), text("  order 12"))
    assert not await matches(f.text.startswith("order"), text("my order"))
    assert await matches(f.text.startswith("ORD", ignore_case=True), text("order"))


async def test_text_regex_gives_the_match():
    found = await data(f.text.regex(r"order #?(\d+)"), text(" my order #4471 "))
    assert found is not None and found["match"].group(1) == "4471"
    assert await data(f.text.regex(r"^ORDER", ignore_case=True), text("order 5")) is not None
    assert await data(f.text.regex(re.compile("x+")), text("no")) is None
    assert await data(f.text.regex(re.compile("^hi$"), ignore_case=True), text("HI")) is not None


async def test_text_filters_refuse_bad_arguments():
    with pytest.raises(ValueError, match="at least one"):
        f.text.equals()
    with pytest.raises(TypeError, match="strings"):
        f.text.contains(3)  # type: ignore[arg-type]


# -- commands ------------------------------------------------------------------------------

async def test_command_gives_name_and_args():
    assert await data(f.command("start"), text("/start summer sale")) == {
        "command": "start", "args": "summer sale"}
    assert await data(f.command("start"), text("/START")) == {"command": "start", "args": ""}
    assert await data(f.command("start"), text("start")) is None
    assert await data(f.command("start"), text("/starter")) is None
    assert await data(f.command("start", ignore_case=False), text("/Start")) is None
    assert await data(f.command("help", "start"), text("/help\nme")) == {
        "command": "help", "args": "me"}


async def test_plain_keywords_and_any_command_and_other_prefixes():
    stop = f.command("stop", plain=True)
    assert await data(stop, text("STOP")) == {"command": "stop", "args": ""}
    assert await data(stop, text("/stop now")) == {"command": "stop", "args": "now"}
    assert await data(stop, text("please stop")) is None
    assert await data(f.command(), text("/Track 42")) == {"command": "Track", "args": "42"}
    assert await data(f.command(), text("hello")) is None
    assert await data(f.command(), text("/")) is None
    bang = f.command("menu", prefix=("!", "/"))
    assert await matches(bang, text("!menu")) and await matches(bang, text("/menu"))
    with pytest.raises(ValueError, match="one word"):
        f.command("two words")
    with pytest.raises(ValueError, match="plain=True"):
        f.command("x", prefix="")


# -- message kinds -------------------------------------------------------------------------

async def test_message_type():
    assert await matches(f.message_type("image", "video"), IMAGE)
    assert not await matches(f.message_type("text"), IMAGE)
    unknown = event(payloads.message("poll_vote", {"option": 2}))
    assert await matches(f.message_type("poll_vote"), unknown)
    assert not await matches(f.message_type("text"), STATUS)


@pytest.mark.parametrize(("body", "kind"), [
    (payloads.image_message(), "image"), (payloads.video_message(), "video"),
    (payloads.audio_message(), "audio"), (payloads.audio_message(voice=True), "voice"),
    (payloads.document_message(), "document"), (payloads.sticker_message(), "sticker"),
])
async def test_media_kinds(body, kind):
    item = event(body)
    found = await data(f.media(kind), item)
    assert found == {"media_id": item.content["id"], "mime_type": item.content["mime_type"]}
    assert await matches(f.media(), item)
    others = [k for k in ("image", "video", "audio", "voice", "document", "sticker") if k != kind]
    assert not await matches(f.media(*others), item)


async def test_voice_without_a_voice_flag_is_told_by_its_ogg_type():
    ogg = payloads.message("audio", {"id": "1", "mime_type": "audio/ogg; codecs=opus",
                                     "sha256": "x"})
    mp3 = payloads.message("audio", {"id": "2", "mime_type": "audio/mpeg", "sha256": "x"})
    assert await matches(f.media("voice"), event(ogg))
    assert await matches(f.media("audio"), event(mp3))
    assert not await matches(f.media(), text("hi"))
    with pytest.raises(UnknownMediaKind, match="gif"):
        f.media("gif")


async def test_reactions():
    added = event(payloads.reaction_message("wamid.X", "\N{THUMBS UP SIGN}"))
    removed = event(payloads.reaction_message("wamid.X", None))
    old_removed = event(payloads.message("reaction", {"message_id": "wamid.X", "emoji": ""}))
    assert await data(f.reaction.any(), added) == {"reacted_to": "wamid.X"}
    assert await matches(f.reaction.any(), removed)
    assert await data(f.reaction.emoji("\N{THUMBS UP SIGN}"), added) == {"reacted_to": "wamid.X"}
    assert await matches(f.reaction.emoji(), added)
    assert not await matches(f.reaction.emoji("\N{HEAVY BLACK HEART}"), added)
    assert not await matches(f.reaction.emoji(), removed)
    assert await matches(f.reaction.removed(), removed)
    assert await matches(f.reaction.removed(), old_removed)
    assert not await matches(f.reaction.removed(), added)
    assert not await matches(f.reaction.any(), text("\N{THUMBS UP SIGN}"))


async def test_location_anywhere_and_near_a_point():
    pier = event(payloads.location_message(51.5033635, -0.1276248))
    assert await data(f.location(), pier) == {"latitude": 51.5033635, "longitude": -0.1276248}
    london = (51.5072, -0.1276)
    paris = (48.8566, 2.3522)
    assert await matches(f.location(near=london, radius_km=5), pier)
    assert not await matches(f.location(near=paris, radius_km=100), pier)
    assert 340 < distance_km(london, paris) < 345
    equator = event(payloads.location_message(0, 0))
    assert await matches(f.location(near=(0.0, 0.0), radius_km=0), equator)
    assert not await matches(f.location(), text("51.5, -0.12"))
    with pytest.raises(ValueError, match="together"):
        f.location(near=london)


async def test_orders():
    item = event(payloads.order_message(("PLANTER-BLU-L", 2, 30, "GBP"), ("SOIL-5L", 1, 8.5, "GBP"),
                                        catalog_id="CAT1"))
    found = await data(f.order(), item)
    assert found is not None and [i["product_retailer_id"] for i in found["order_items"]] == [
        "PLANTER-BLU-L", "SOIL-5L"]
    assert await matches(f.order(catalog_id="CAT1", product="SOIL-5L"), item)
    assert not await matches(f.order(catalog_id="CAT2"), item)
    assert not await matches(f.order(product="CHAIR"), item)
    assert not await matches(f.order(), text("order"))


async def test_flow_completion_by_token_prefix():
    done = event(payloads.flow_reply_message({"flow_token": "booking:42", "date": "2026-07-14"}))
    found = await data(f.flow_completion(), done)
    assert found == {"response": {"flow_token": "booking:42", "date": "2026-07-14"},
                     "flow_token": "booking:42"}
    assert await matches(f.flow_completion(token_prefix="booking:"), done)
    assert not await matches(f.flow_completion(token_prefix="survey:"), done)
    no_token = event(payloads.flow_reply_message({"date": "x"}))
    assert await data(f.flow_completion(), no_token) == {"response": {"date": "x"},
                                                         "flow_token": None}
    assert not await matches(f.flow_completion(token_prefix=""), no_token)
    broken = event(payloads.message("interactive", {"type": "nfm_reply", "nfm_reply": {
        "response_json": "{not json", "body": "Sent", "name": "flow"}}))
    assert not await matches(f.flow_completion(), broken)
    assert not await matches(f.flow_completion(), tap("x"))


# -- buttons -------------------------------------------------------------------------------

async def test_button_ids_from_every_kind_of_tap():
    for item in (tap("size-l"), row("size-l"), template_tap("size-l")):
        assert await matches(f.button.id("size-l", "size-s"), item)
        assert await matches(f.button.any(), item)
        assert await data(f.button.prefix("size-"), item) == {"suffix": "l"}
    assert not await matches(f.button.id("size-l"), text("size-l"))
    assert not await matches(f.button.any(), text("size-l"))
    assert await data(f.button.prefix("s", "size-"), tap("size-m")) == {"suffix": "m"}
    assert not await matches(f.button.prefix("colour-"), tap("size-l"))
    flow = event(payloads.flow_reply_message({"flow_token": "t"}))
    assert not await matches(f.button.any(), flow)


async def test_button_source():
    assert await matches(f.button.source("button"), tap("a"))
    assert await matches(f.button.source("list"), row("a"))
    assert await matches(f.button.source("template"), template_tap("a"))
    assert not await matches(f.button.source("list", "template"), tap("a"))
    with pytest.raises(ValueError, match="button, list, template"):
        f.button.source("menu")


# -- people and numbers --------------------------------------------------------------------

async def test_sender_by_wa_id_phone_number_or_user_id():
    assert await matches(f.sender("+1 555-765-4321"), text("hi"))
    assert not await matches(f.sender("15550000000"), text("hi"))
    by_user = text("hi", sender=None, user_id="US.1349120865530274")
    assert await matches(f.sender("US.1349120865530274"), by_user)
    assert await matches(f.sender("US.1349120865530274"), contact(user_id="US.1349120865530274"))
    assert not await matches(f.sender(payloads.CUSTOMER_WA_ID), STATUS)


async def test_business_number_by_id_or_display_number():
    item = text("hi")
    assert await matches(f.business_number(payloads.PHONE_NUMBER_ID), item)
    assert await matches(f.business_number("+1 555 123 4567"), item)
    assert await matches(f.business_number("+1 555 123 4567"), STATUS)
    other = text("hi", phone_number_id="999", display_phone_number="4930123456")
    assert not await matches(f.business_number(payloads.PHONE_NUMBER_ID), other)


@pytest.mark.parametrize(("wa_id", "country"), [
    ("4915112345678", "DE"), ("14165551234", "CA"), ("12125551234", "US"),
    ("12425551234", "BS"), ("18765551234", "JM"), ("77011234567", "KZ"),
    ("79161234567", "RU"), ("447781123456", "GG"), ("447700900123", "GB"),
    ("85291234567", "HK"), ("8613812345678", "CN"), ("5511912345678", "BR"),
    ("35818123456", "AX"), ("358401234567", "FI"),
])
async def test_country_from_the_senders_number(wa_id, country):
    item = text("hi", sender=wa_id)
    assert await data(f.country(country), item) == {"country": country}
    assert not await matches(f.country("FR"), item)


async def test_country_and_calling_code_edge_cases():
    assert await data(f.calling_code("+44"), text("x", sender="447781123456")) == {
        "calling_code": "44"}
    assert await matches(f.calling_code("1"), text("x", sender="14165551234"))
    assert not await matches(f.calling_code("49"), text("x", sender="14165551234"))
    by_user = text("x", sender=None, user_id="US.1")
    assert not await matches(f.country("US"), by_user)
    assert not await matches(f.calling_code("1"), by_user)
    assert await matches(f.country("de"), text("x", sender="4915112345678"))
    with pytest.raises(UnknownCountry, match="'GB'"):
        f.country("UK")
    with pytest.raises(UnknownCallingCode):
        f.calling_code("99")


# -- statuses, errors, contacts, fields, state ---------------------------------------------

async def test_status_values():
    assert await matches(f.status("read", "delivered"), STATUS)
    assert not await matches(f.status("failed"), STATUS)
    assert await matches(f.status("future_value"), event(payloads.status("w", "future_value")))
    assert not await matches(f.status("read"), text("read"))


async def test_error_codes_on_statuses_messages_and_webhook_errors():
    assert await data(f.error_code(131026), FAILED) == {"error_code": 131026}
    assert await data(f.error_code(), FAILED) == {"error_code": 131026}
    assert not await matches(f.error_code(131047), FAILED)
    assert await data(f.error_code(131000), ERROR) == {"error_code": 131000}
    unsupported = event(payloads.unsupported_message())
    assert await matches(f.error_code(131051), unsupported)
    assert not await matches(f.error_code(), STATUS)
    with pytest.raises(TypeError, match="integers"):
        f.error_code("131026")  # type: ignore[arg-type]


async def test_fields_and_field_events():
    assert await matches(f.field("message_template_status_update"), FIELD)
    assert await matches(f.field("message_template_status_update", event="APPROVED"), FIELD)
    assert not await matches(f.field("message_template_status_update", event="REJECTED"), FIELD)
    review = event(payloads.field_change("account_review_update", decision="REJECTED"))
    assert await matches(f.field("account_review_update", event="REJECTED"), review)
    assert await matches(f.field("messages"), text("hi"))
    assert not await matches(f.field("account_update"), FIELD)


async def test_contact_changes():
    assert await matches(f.contact_change(), contact())
    assert await matches(f.contact_change("changed_number"), contact("changed_number"))
    assert not await matches(f.contact_change("changed_number"), contact("profile"))
    assert not await matches(f.contact_change(), text("hi"))


async def test_state_reads_the_current_conversation():
    rule = f.state("asking_size", "asking_colour")
    assert not await matches(rule, text("l"))  # no conversation: no match
    token = current_conversation.set(SimpleNamespace(state="asking_size"))
    try:
        assert await matches(rule, text("l"))
        current_conversation.set(SimpleNamespace(state="done"))
        assert not await matches(rule, text("l"))
        current_conversation.set(SimpleNamespace())
        assert not await matches(rule, text("l"))
    finally:
        current_conversation.reset(token)


async def test_state_is_per_task():
    rule = f.state("a")

    async def in_state(name: str) -> bool:
        current_conversation.set(SimpleNamespace(state=name))
        await asyncio.sleep(0)
        return await matches(rule, text("x"))
    assert await asyncio.gather(in_state("a"), in_state("b")) == [True, False]
    assert current_conversation.get() is None


# -- composition ---------------------------------------------------------------------------

async def test_and_or_not():
    pizza, pasta = f.text.contains("pizza"), f.text.contains("pasta")
    assert await matches(pizza & f.text.contains("large"), text("large pizza"))
    assert not await matches(pizza & pasta, text("pizza"))
    assert await matches(pizza | pasta, text("pasta"))
    assert not await matches(pizza | pasta, text("soup"))
    assert await matches(~pizza, text("soup"))
    assert not await matches(~pizza, text("pizza"))
    assert await matches(~~pizza, text("pizza"))
    assert await data(~pizza, text("soup")) == {}


async def test_composed_data_merges_and_first_match_wins():
    rule = f.text.regex(r"(\d+)") & f.command("order")
    found = await data(rule, text("/order 12"))
    assert found["command"] == "order" and found["match"].group(1) == "12"
    either = f.command("start") | f.text.regex("go")
    assert await data(either, text("/start x")) == {"command": "start", "args": "x"}
    assert set(await data(either, text("go on"))) == {"match"}


async def test_plain_callables_and_async_callables_are_filters():
    def long_text(message: Any) -> bool:
        return len(message.text or "") > 10

    async def vip(message: Any) -> dict[str, Any] | None:
        await asyncio.sleep(0)
        return {"tier": "gold"} if message.sender == payloads.CUSTOMER_WA_ID else None

    assert await matches(long_text, text("a long enough text"))
    assert await data(f.text.any() & vip, text("hi")) == {"tier": "gold"}
    assert await data(vip & f.text.any(), text("hi")) == {"tier": "gold"}
    assert await matches(long_text | f.text.equals("ok"), text("ok"))
    assert await matches((lambda m: m.type == "text") | f.media(), IMAGE)
    assert await data(lambda m: {}, text("x")) == {}
    assert await data(lambda m: None, text("x")) is None
    assert await data(lambda m: re.search("x", m.text), text("x")) == {}


async def test_the_first_failing_part_stops_evaluation():
    seen: list[str] = []

    def spy(message: Any) -> bool:
        seen.append(message.text)
        return True
    await data(f.text.equals("no") & spy, text("yes"))
    await data(f.text.equals("yes") | spy, text("yes"))
    assert seen == []


def test_filters_describe_themselves():
    rule = (f.text.contains("pizza", ignore_case=True) & ~f.sender("1555")) | f.command("menu")
    assert repr(rule) == ("((text.contains('pizza', ignore_case=True) & ~sender('1555')) | "
                          "command('menu'))")
    assert isinstance(rule, Filter)


def test_a_non_callable_is_refused_as_a_filter():
    with pytest.raises(NotAFilter, match="str"):
        as_filter("pizza")  # type: ignore[arg-type]
    with pytest.raises(NotAFilter):
        f.text.any() & 3  # type: ignore[operator]
