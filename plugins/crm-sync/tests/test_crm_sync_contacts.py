"""The contact book, kept up to date through the real app from signed webhook payloads."""

from __future__ import annotations

import sqlite3

from botkit_crm_sync.cli import read_contacts

from botkit import hookimpl
from botkit.testing import BotRunner, make_settings

OLD, NEW = "4915550123456", "4915550654321"  # the numbers in the changed-number sample


def book(path) -> dict:
    return {record.customer_id: record for record in read_contacts(path)}


async def test_messages_keep_a_record_per_customer(start_crm_sync, payloads, tmp_path):
    path = tmp_path / "contacts.db"
    bot = await start_crm_sync({"path": str(path)})
    await bot.post(payloads.text("Do you have the blue planter?", 1, timestamp=1782900000))
    await bot.post(payloads.text("And a red one?", 2, timestamp=1782900060))
    await bot.post(payloads.load("message_image.json"))
    await bot.settle()
    contacts = book(path)
    priya = contacts["15557654321"]
    assert (priya.wa_id, priya.user_id, priya.name) == ("15557654321", None, "Priya Raman")
    assert priya.message_count == 2
    assert (priya.first_seen, priya.last_seen) == (1782900000, 1782900060)
    assert (priya.last_message_text, priya.last_message_type) == ("And a red one?", "text")
    assert priya.opted_out is False and priya.previous_wa_ids == ()
    image = payloads.load("message_image.json")["entry"][0]["changes"][0]["value"]
    sender = image["messages"][0]["from"]
    assert contacts[sender].last_message_type == "image"
    assert contacts[sender].last_message_text == image["messages"][0]["image"]["caption"]
    assert len(contacts) == 2


async def test_customers_are_filed_under_their_user_id(start_crm_sync, payloads, tmp_path):
    path = tmp_path / "contacts.db"
    bot = await start_crm_sync({"path": str(path)})
    await bot.post(payloads.load("message_bsuid_username_only.json"))
    await bot.post(payloads.text("hello", 1, timestamp=1782900000))
    await bot.settle()
    # The same customer, now seen with a business-scoped user id: the record is re-keyed.
    await bot.post(payloads.text("me again", 2, user_id="US.555", timestamp=1782900100))
    await bot.settle()
    contacts = book(path)
    sam = contacts["US.13491208655302741918"]
    assert (sam.wa_id, sam.username, sam.name) == (None, "sam.plants", "Sam")
    priya = contacts["US.555"]
    assert (priya.wa_id, priya.message_count, priya.last_message_text) == (
        "15557654321", 2, "me again")
    assert set(contacts) == {"US.13491208655302741918", "US.555"}


async def test_a_changed_number_takes_the_record_along(start_crm_sync, payloads, tmp_path):
    path = tmp_path / "contacts.db"
    bot = await start_crm_sync({"path": str(path)})
    await bot.post(payloads.text("Hallo", 1, wa_id=OLD, name="Jonas Weber"))
    await bot.settle()
    await bot.post(payloads.load("message_system_user_changed_number.json"))
    await bot.settle()
    await bot.post(payloads.text("Neue Nummer", 2, wa_id=NEW, name="Jonas Weber",
                                 timestamp=1782900500))
    await bot.settle()
    [jonas] = book(path).values()
    assert (jonas.customer_id, jonas.wa_id, jonas.previous_wa_ids) == (NEW, NEW, (OLD,))
    assert jonas.message_count == 2 and jonas.last_message_text == "Neue Nummer"
    assert jonas.first_seen == 1782900000


async def test_a_number_change_announced_late_merges_the_records(start_crm_sync, payloads,
                                                                 tmp_path):
    path = tmp_path / "contacts.db"
    bot = await start_crm_sync({"path": str(path)})
    await bot.post(payloads.text("Hallo", 1, wa_id=OLD, name="Jonas Weber"))
    await bot.post(payloads.text("Neue Nummer", 2, wa_id=NEW, name="Jonas Weber",
                                 timestamp=1782900500))
    await bot.settle()
    assert set(book(path)) == {OLD, NEW}
    await bot.post(payloads.load("message_system_user_changed_number.json"))
    await bot.settle()
    [jonas] = book(path).values()
    assert (jonas.customer_id, jonas.previous_wa_ids, jonas.message_count) == (NEW, (OLD,), 2)
    assert jonas.last_message_text == "Neue Nummer"


async def test_a_new_user_id_takes_the_record_along(start_crm_sync, payloads, tmp_path):
    path = tmp_path / "contacts.db"
    bot = await start_crm_sync({"path": str(path)})
    await bot.post(payloads.text("hello", 1, user_id="US.111"))
    await bot.settle()
    update = {"object": "whatsapp_business_account", "entry": [{"id": "104996122399160",
              "time": 1782900300, "changes": [{"field": "user_id_update", "value": {
                  "messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "15551234567",
                               "phone_number_id": "109862385428321"},
                  "user_id_update": [{"wa_id": "15557654321", "detail": "changed",
                                      "user_id": {"previous": "US.111", "current": "US.222"},
                                      "timestamp": "1782900300"}]}}]}]}
    await bot.post(update)
    await bot.settle()
    [priya] = book(path).values()
    assert (priya.customer_id, priya.user_id, priya.wa_id) == ("US.222", "US.222", "15557654321")
    assert priya.message_count == 1 and priya.name == "Priya Raman"


def preferences(payloads, value: str, timestamp: int, n: int) -> dict:
    payload = payloads.load("field_user_preferences.json")
    item = payload["entry"][0]["changes"][0]["value"]["user_preferences"][0]
    item.update(value=value, timestamp=timestamp, detail=f"change {n}")
    return payload


async def test_marketing_opt_out_and_back_in(start_crm_sync, payloads, tmp_path):
    path = tmp_path / "contacts.db"
    bot = await start_crm_sync({"path": str(path)})
    await bot.post(payloads.load("field_user_preferences.json"))  # stop at 1782901000
    await bot.settle()
    kofi = book(path)["233555012345"]
    assert kofi.opted_out is True and kofi.opt_out_changed_at == 1782901000
    await bot.post(preferences(payloads, "resume", 1782900900, 1))  # older: arrived late
    await bot.settle()
    assert book(path)["233555012345"].opted_out is True
    await bot.post(preferences(payloads, "resume", 1782902000, 2))
    await bot.settle()
    kofi = book(path)["233555012345"]
    assert kofi.opted_out is False and kofi.opt_out_changed_at == 1782902000
    assert kofi.message_count == 0


class Attempts:
    """Records which attempt of each message it was handed, and every delivery given up on."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.dead: list[str] = []

    @hookimpl
    def message_received(self, message) -> None:
        self.seen.append(message.attempt)

    @hookimpl
    def delivery_failed(self, plugin) -> None:
        self.dead.append(plugin)


async def test_a_redelivered_event_is_not_counted_twice(payloads, tmp_path, payload_clock):
    path = tmp_path / "contacts.db"
    watcher = Attempts()
    settings = make_settings(tmp_path / "bot", enabled_plugins=["crm-sync", "watcher"],
                             plugins={"crm-sync": {"path": str(path)}})
    async with BotRunner(settings, extra_plugins={"watcher": watcher},
                         clock=payload_clock) as bot:
        for _ in range(2):  # Meta delivers it twice
            await bot.post(payloads.text("hello", 1))
        await bot.settle()
    # The process died after the plugins ran but before the event was marked done: on
    # restart it is handed out again.
    store = sqlite3.connect(tmp_path / "bot" / "botkit.db")
    with store:
        store.execute("UPDATE events SET state = 'pending' WHERE kind = 'message'")
    store.close()
    async with BotRunner(settings, extra_plugins={"watcher": watcher},
                         clock=payload_clock) as bot:
        await bot.settle()
    assert watcher.seen == [1, 2] and watcher.dead == []
    assert book(path)["15557654321"].message_count == 1
