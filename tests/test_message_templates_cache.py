"""The template cache on SQLite and on Redis alike: storage, syncs that keep webhook notes,
atomic changes, the template webhooks through a running bot, and checked sends."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from message_templates_kit import (
    ORDER_CONFIRMATION,
    ORDER_FOLLOWUP,
    SUMMER_CAROUSEL,
    WABA,
    cached,
)
from samples import REDIS_URL, payload_bytes

from botkit import FieldEvent, Message, hookimpl
from botkit.message_templates import (
    TEMPLATES_TARGET,
    LanguageNotAvailable,
    MissingParameter,
    NoTemplateAccount,
    Template,
    TemplatePaused,
    UnknownTemplate,
    UrlButton,
    check_before_send,
    checked_template,
    open_template_cache,
    open_template_cache_admin,
    template_cache,
    template_target,
)
from botkit.message_templates.webhooks import apply_template_event
from botkit.store import open_store
from botkit.store.records import StoredEvent
from botkit.testing import make_settings

ENTRY_TIME = 1782900120
CONFIRMED = Template("order_confirmation", "en_US", body=["Ana", "July 3", "$12.50"],
                     header="A-1042", buttons=[UrlButton(1, "A-1042")])


@pytest.fixture(params=["sqlite", "redis"])
def store_table(request, tmp_path, redis_prefix):
    if request.param == "sqlite":
        return {"url": f"sqlite:///{tmp_path / 'data' / 'botkit.db'}"}
    return {"url": f"{REDIS_URL}?prefix={redis_prefix}&partitions=2"}


@pytest.fixture
async def opened(tmp_path, store_table):
    """(store, cache) on an open store of the backend."""
    settings = make_settings(tmp_path, store=store_table)
    store = open_store(settings.store)
    await store.open()
    cache = open_template_cache(store)
    await cache.open()
    yield store, cache
    await store.close()


# -- storage ------------------------------------------------------------------------------------


async def test_templates_are_kept_by_account_name_and_language(opened):
    _, cache = opened
    english, brazil = cached(ORDER_CONFIRMATION), cached({**ORDER_CONFIRMATION,
                                                          "language": "pt_BR"})
    other = cached(ORDER_FOLLOWUP, waba="187654398812345")
    for template in (brazil, english, other):
        await cache.put(template)
    assert [t.language for t in await cache.named(WABA, "order_confirmation")] == [
        "en_US", "pt_BR"]
    assert await cache.named(WABA, "order_followup") == []
    assert [t.key for t in await cache.all()] == [
        ("104996122399160", "order_confirmation", "en_US"),
        ("104996122399160", "order_confirmation", "pt_BR"),
        ("187654398812345", "order_followup", "en_US")]
    assert await cache.all(WABA) == [english, brazil]
    assert await cache.accounts() == ["104996122399160", "187654398812345"]
    assert await cache.remove(WABA, "order_confirmation", "pt_BR") == 1
    assert await cache.named(WABA, "order_confirmation") == [english]
    await cache.put(brazil)
    assert await cache.remove(WABA, "order_confirmation") == 2
    assert await cache.remove(WABA, "order_confirmation") == 0


async def test_a_sync_replaces_the_account_and_keeps_what_only_webhooks_tell(opened):
    _, cache = opened
    await cache.put(cached(SUMMER_CAROUSEL))
    noted = cached(ORDER_CONFIRMATION).with_notes(seen={"status": ENTRY_TIME},
                                                  category_change={"to": "MARKETING"})
    await cache.put(noted)
    assert await cache.synced_at(WABA) is None
    fresh = [cached(ORDER_CONFIRMATION, status="PAUSED"), cached(ORDER_FOLLOWUP)]
    assert await cache.replace_account(WABA, fresh, 1782990000.0) == (2, 1)
    assert await cache.synced_at(WABA) == 1782990000.0
    [confirmation] = await cache.named(WABA, "order_confirmation")
    assert confirmation.status == "PAUSED"
    assert confirmation.seen("status") == ENTRY_TIME
    assert confirmation.notes["category_change"] == {"to": "MARKETING"}
    assert await cache.named(WABA, "summer_carousel") == []
    assert await cache.replace_account(WABA, [], 1782990001.0) == (0, 2)
    assert await cache.all(WABA) == [] and await cache.accounts() == [WABA]


async def test_concurrent_changes_never_overwrite_each_other(opened):
    _, cache = opened
    await cache.put(cached(ORDER_CONFIRMATION).with_notes(count=0))

    def bump(current):
        return current.with_notes(count=current.notes["count"] + 1)

    await asyncio.gather(*(cache.change(WABA, "order_confirmation", "en_US", bump)
                           for _ in range(25)))
    [template] = await cache.named(WABA, "order_confirmation")
    assert template.notes["count"] == 25
    assert await cache.change(WABA, "nothing", "en", lambda current: current) is None


async def test_a_command_beside_the_running_store_sees_the_same_cache(tmp_path, opened):
    store, cache = opened
    await cache.put(cached(ORDER_CONFIRMATION))
    settings = make_settings(tmp_path, store={"url": store_url(store, tmp_path)})
    admin, close = await open_template_cache_admin(settings.store)
    try:
        assert [t.name for t in await admin.all()] == ["order_confirmation"]
        await admin.put(cached(ORDER_FOLLOWUP))
    finally:
        await close()
    assert [t.name for t in await cache.all(WABA)] == ["order_confirmation", "order_followup"]


def store_url(store, tmp_path) -> str:
    if hasattr(store, "path"):
        return f"sqlite:///{store.path}"
    return f"{REDIS_URL}?prefix={store.keys.prefix}&partitions=2"


async def test_a_command_without_a_store_says_so(tmp_path):
    settings = make_settings(tmp_path, store={"url": f"sqlite:///{tmp_path / 'none.db'}"})
    from botkit.errors import StoreError

    with pytest.raises(StoreError, match=r"no store at .*none\.db"):
        await open_template_cache_admin(settings.store)


# -- webhooks through a running bot -------------------------------------------------------------


class TemplateWebhooks:
    """Applies each template webhook as the dispatcher's template target does."""

    def __init__(self) -> None:
        self.applied: list[str] = []

    @hookimpl
    async def event_received(self, bot, event) -> None:
        if await apply_template_event(await template_cache(bot), event, bot.clock()):
            self.applied.append(event.field)


def sample(name: str) -> dict:
    return json.loads(payload_bytes(name))


def with_value(payload: dict, time: int, **changes) -> dict:
    payload["entry"][0]["time"] = time
    payload["entry"][0]["changes"][0]["value"].update(changes)
    return payload


async def test_template_webhooks_keep_the_cache_current(botkit_runner_factory, store_table):
    webhooks = TemplateWebhooks()
    runner = await botkit_runner_factory(enabled_plugins=["templates"],
                                         extra_plugins={"templates": webhooks},
                                         whatsapp={"waba_id": WABA}, store=store_table)
    cache = await template_cache(runner.bot)
    await cache.replace_account(WABA, [cached(ORDER_CONFIRMATION), cached(SUMMER_CAROUSEL)],
                                ENTRY_TIME - 60)
    for name in ("field_message_template_status_update.json",
                 "field_message_template_status_update_rejected.json",
                 "field_message_template_quality_update.json",
                 "field_template_category_update.json",
                 "field_message_template_components_update.json"):
        assert (await runner.post(payload_bytes(name))).status_code == 200
    await runner.settle()
    assert len(webhooks.applied) == 5

    [shipped] = await cache.named(WABA, "order_shipped")
    assert (shipped.status, shipped.category, shipped.id) == (
        "APPROVED", "UTILITY", "1689556908129832")
    assert not shipped.complete and shipped.seen("status") == ENTRY_TIME
    [cart] = await cache.named(WABA, "abandoned_cart_v2")
    assert (cart.language, cart.status, cart.notes["reason"]) == (
        "pt_BR", "REJECTED", "INVALID_FORMAT")
    assert cart.notes["rejection"]["recommendation"].startswith("Separate parameters")
    [sale] = await cache.named(WABA, "summer_sale")
    assert sale.quality == "YELLOW"
    [welcome] = await cache.named(WABA, "welcome_back")
    assert welcome.category == "MARKETING"

    [confirmation] = await cache.named(WABA, "order_confirmation")
    definition = confirmation.parsed()
    assert confirmation.complete and confirmation.status == "APPROVED"
    assert definition.header is not None and definition.header.text == "Your order is confirmed!"
    assert definition.body.keys == ("1", "2") and definition.footer == "Reply STOP to opt out"
    assert [(b.type, b.text) for b in definition.buttons] == [
        ("PHONE_NUMBER", "Call us"), ("URL", "Track order")]
    # the changed definition is what sends are checked against now
    assert await checked_template(runner.bot, Template("order_confirmation", "en_US",
                                                       body=["Ana", "A-1042"])) == Template(
        "order_confirmation", "en_US", body=["Ana", "A-1042"]).to_body()
    with pytest.raises(MissingParameter, match=r"the body has 2 parameter\(s\), got 1"):
        await checked_template(runner.bot, Template("order_confirmation", "en_US",
                                                    body=["Ana"]))

    # announced category change, then a late status webhook older than the one applied
    await runner.post(payload_bytes("field_template_category_update_impending.json"))
    older = with_value(sample("field_message_template_status_update.json"), ENTRY_TIME - 100,
                       event="PAUSED")
    await runner.post(older)
    await runner.settle()
    [welcome] = await cache.named(WABA, "welcome_back")
    assert welcome.category == "UTILITY"
    assert welcome.notes["category_change"] == {"to": "MARKETING", "at": 1782986400}
    [shipped] = await cache.named(WABA, "order_shipped")
    assert shipped.status == "APPROVED"

    newer = with_value(sample("field_message_template_status_update.json"), ENTRY_TIME + 100,
                       message_template_name="order_confirmation", event="PAUSED",
                       reason="LOW_QUALITY")
    await runner.post(newer)
    await runner.settle()
    with pytest.raises(TemplatePaused, match="paused by Meta for low quality \\(reason: "
                                             "LOW_QUALITY\\)"):
        await checked_template(runner.bot, Template("order_confirmation", "en_US",
                                                    body=["Ana", "A-1042"]))
    reinstated = with_value(sample("field_message_template_status_update.json"),
                            ENTRY_TIME + 200, message_template_name="order_confirmation",
                            event="REINSTATED")
    await runner.post(reinstated)
    await runner.settle()
    [confirmation] = await cache.named(WABA, "order_confirmation")
    assert confirmation.status == "APPROVED" and "reason" not in confirmation.notes


async def test_the_template_target_answers_template_fields_only(botkit_runner_factory):
    runner = await botkit_runner_factory(whatsapp={"waba_id": WABA})
    stored = StoredEvent(1, "key", "field", f"{WABA}:x", b"{}", 1)
    value = sample("field_message_template_quality_update.json")["entry"][0]["changes"][0][
        "value"]
    quality = FieldEvent(key="q", field="message_template_quality_update", waba_id=WABA,
                         timestamp=ENTRY_TIME, raw=value)
    other = FieldEvent(key="o", field="account_update", waba_id=WABA, raw={"event": "X"})
    message = Message(key="m", field="messages", waba_id=WABA, id="wamid.1", type="text")
    assert template_target(runner.bot, stored, other) is None
    assert template_target(runner.bot, stored, message) is None
    update = template_target(runner.bot, stored, quality)
    assert update is not None and TEMPLATES_TARGET == "botkit.templates"
    await update(quality)
    [sale] = await (await template_cache(runner.bot)).named(WABA, "summer_sale")
    assert (sale.quality, sale.id, sale.complete) == ("YELLOW", "806312974732579", False)


# -- checked sends ------------------------------------------------------------------------------


async def test_checked_sends_find_the_account_and_name_what_is_missing(botkit_runner_factory,
                                                                      store_table):
    runner = await botkit_runner_factory(store=store_table)  # no [whatsapp] waba_id
    bot = runner.bot
    with pytest.raises(NoTemplateAccount,
                       match=r"\(the cache is empty\); set \[whatsapp\] waba_id"):
        await checked_template(bot, CONFIRMED)
    cache = await template_cache(bot)
    await cache.put(cached(ORDER_CONFIRMATION))
    assert await checked_template(bot, CONFIRMED) == CONFIRMED.to_body()
    assert await checked_template(bot, CONFIRMED.to_body()) == CONFIRMED.to_body()
    with pytest.raises(LanguageNotAvailable, match="has no 'fr' version; it has en_US"):
        await checked_template(bot, Template("order_confirmation", "fr"))
    await cache.put(cached(ORDER_FOLLOWUP, waba="187654398812345"))
    with pytest.raises(NoTemplateAccount, match="the cache holds 104996122399160, 1876"):
        await checked_template(bot, CONFIRMED)
    with pytest.raises(UnknownTemplate, match="not in the template cache of WhatsApp Business "
                                              "Account 187654398812345"):
        await checked_template(bot, CONFIRMED, waba_id="187654398812345")


async def test_the_outbox_check_applies_once_the_account_was_synced(botkit_runner_factory):
    runner = await botkit_runner_factory(whatsapp={"waba_id": WABA})
    bot = runner.bot
    unknown = Template("never_synced", "en_US").to_body()
    await check_before_send(bot, unknown)  # nothing synced yet: sent as before
    await check_before_send(bot, {"type": "text", "text": {"body": "hi"}})
    cache = await template_cache(bot)
    await cache.replace_account(WABA, [cached(ORDER_CONFIRMATION),
                                       cached(SUMMER_CAROUSEL, status="PAUSED")], 1.0)
    with pytest.raises(UnknownTemplate):
        await check_before_send(bot, unknown)
    await check_before_send(bot, CONFIRMED.to_body())
    with pytest.raises(MissingParameter):
        await check_before_send(bot, replace(CONFIRMED, buttons=()).to_body())
    carousel = {"type": "template", "template": {
        "name": "summer_carousel", "language": {"code": "en_US"},
        "components": [{"type": "carousel", "cards": []}]}}
    with pytest.raises(TemplatePaused):  # not modelled, but its status is still checked
        await check_before_send(bot, carousel)


class FallbackReplier:
    """Answers every text; the customer's window is closed, so the template goes instead."""

    def __init__(self, checked: bool) -> None:
        self.checked = checked

    @hookimpl
    async def message_received(self, bot, message) -> None:
        fallback = await checked_template(bot, CONFIRMED) if self.checked else CONFIRMED
        await message.reply("Your order is on its way.", fallback=fallback)


@pytest.mark.parametrize("checked", [True, False])
async def test_a_template_is_the_fallback_of_a_reply_outside_the_window(
        botkit_runner_factory, fake_graph, checked):
    runner = await botkit_runner_factory(
        enabled_plugins=["replier"], extra_plugins={"replier": FallbackReplier(checked)},
        whatsapp={"waba_id": WABA, "graph_url": fake_graph.url})
    await (await template_cache(runner.bot)).put(cached(ORDER_CONFIRMATION))
    await runner.post(payload_bytes("message_text.json"))  # written months ago
    await runner.settle()
    [sent] = fake_graph.sent_messages()
    assert sent["to"] == "15557654321"
    assert {key: sent[key] for key in ("type", "template")} == CONFIRMED.to_body()


async def test_what_webhooks_tell_of_templates_never_synced(opened):
    _, cache = opened
    components = sample("field_message_template_components_update.json")["entry"][0]["changes"][
        0]["value"]
    event = FieldEvent(key="c", field="message_template_components_update", waba_id=WABA,
                       timestamp=ENTRY_TIME, raw=components)
    learnt = await apply_template_event(cache, event, 5.0)
    assert learnt is not None and not learnt.complete and learnt.status == "UNKNOWN"
    assert learnt.parsed().body.keys == ("1", "2") and learnt.updated_at == 5.0
    # Meta's own example of a quality update names the status field: read by its value
    quality = {"previous_quality_score": "GREEN", "new_quality_score": "RED",
               "message_template_id": 1315502779341834,
               "message_template_name": "order_confirmation",
               "message_template_language": "en_US"}
    mislabelled = FieldEvent(key="q", field="message_template_status_update", waba_id=WABA,
                             timestamp=ENTRY_TIME, raw=quality)
    updated = await apply_template_event(cache, mislabelled, 6.0)
    assert updated is not None and (updated.quality, updated.status) == ("RED", "UNKNOWN")
    nameless = FieldEvent(key="n", field="message_template_status_update", waba_id=WABA,
                          raw={"event": "APPROVED"})
    assert await apply_template_event(cache, nameless, 7.0) is None
    unrelated = FieldEvent(key="u", field="account_update", waba_id=WABA, raw=quality)
    assert await apply_template_event(cache, unrelated, 8.0) is None


async def test_a_components_update_keeps_a_media_header_it_does_not_describe(opened):
    _, cache = opened
    await cache.put(cached(ORDER_FOLLOWUP))
    value = {"message_template_id": 1, "message_template_name": "order_followup",
             "message_template_language": "en_US",
             "message_template_element": "Hi {{first_name}}, thanks!"}
    event = FieldEvent(key="c", field="message_template_components_update", waba_id=WABA,
                       timestamp=ENTRY_TIME, raw=value)
    changed = await apply_template_event(cache, event, 9.0)
    assert changed is not None and changed.complete
    definition = changed.parsed()
    assert definition.header is not None and definition.header.format == "IMAGE"
    assert definition.body.keys == ("first_name",) and definition.named
    assert definition.buttons == () and definition.footer is None
