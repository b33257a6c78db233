"""POSTed notifications: signatures, sizes, bad bodies, duplicates, stale items, store failure."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from urllib.parse import urlsplit

import pytest
from samples import PAYLOAD_NOW, REDIS_URL, db_rows, payload_bytes, published_signatures

from botkit import hookimpl
from botkit.store.sqlite import sqlite_path
from botkit.testing import APP_SECRET, signature

TEXT = payload_bytes("message_text.json")


@pytest.fixture
async def bot(botkit_runner_factory, recorder, payload_clock):
    return await botkit_runner_factory(
        enabled_plugins=["rec"], extra_plugins={"rec": recorder}, clock=payload_clock
    )


def stored_events(bot) -> int:
    return db_rows(bot, "SELECT count(*) FROM events")[0][0]


def quarantined(bot) -> list[str]:
    return [row[0] for row in db_rows(bot, "SELECT reason FROM quarantine ORDER BY id")]


async def post_raw(bot, body: bytes, headers: dict[str, str]):
    return await bot.client.post("/webhook", content=body, headers=headers)


async def test_signed_text_is_acknowledged_stored_and_dispatched(bot, recorder):
    response = await bot.post(TEXT)
    assert response.status_code == 200
    await bot.settle()
    assert recorder.counts() == {"message_received": 1, "contact_updated": 1}
    message = (
        recorder.events[-1] if recorder.calls[-1][0] == "message_received" else (recorder.events[0])
    )
    assert message.text == "Hi! Do you have the blue planter in stock?"


async def test_published_signature_of_raw_wire_bytes_verifies(bot, recorder):
    body = payload_bytes("raw_wire_text_escaped.json")
    header = published_signatures()[("raw_wire_text_escaped.json", "test-secret")]
    response = await post_raw(
        bot, body, {"x-hub-signature-256": header, "content-type": "application/json"}
    )
    assert response.status_code == 200
    await bot.settle()
    texts = [e.text for e in recorder.events if e.kind == "message"]
    assert texts == [
        "Olá! Quero um café ☕ e o link https://shop.example.com/a/b, meu email é ana@example.com"
    ]


async def test_reserialised_body_no_longer_matches(bot):
    body = payload_bytes("raw_wire_text_escaped.json")
    header = published_signatures()[("raw_wire_text_escaped.json", "test-secret")]
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    response = await post_raw(bot, reserialised, {"x-hub-signature-256": header})
    assert response.status_code == 403
    assert stored_events(bot) == 0


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("", 401),
        ("sha1=" + "0" * 40, 401),
        ("sha256=" + "0" * 63, 401),
        ("sha256=" + "g" * 64, 401),
        ("sha256=" + "é" * 64, 401),
        ("sha256=" + "0" * 64, 403),
        (signature(TEXT, "another-secret"), 403),
        (signature(TEXT, APP_SECRET)[:-2], 401),
        (signature(TEXT + b" ", APP_SECRET), 403),
    ],
)
async def test_bad_signatures_are_refused_and_nothing_is_stored(bot, recorder, header, status):
    headers = {"content-type": "application/json"}
    if header is not None:
        headers["x-hub-signature-256"] = header
    response = await bot.client.post(
        "/webhook",
        content=TEXT,
        headers={k: v.encode("utf-8") if k.startswith("x-") else v for k, v in headers.items()},
    )
    assert response.status_code == status
    await bot.settle()
    assert stored_events(bot) == 0 and quarantined(bot) == []
    assert recorder.calls == []


async def test_uppercase_hex_signature_is_accepted(bot):
    header = "sha256=" + signature(TEXT, APP_SECRET)[7:].upper()
    response = await post_raw(bot, TEXT, {"x-hub-signature-256": header})
    assert response.status_code == 200


async def test_any_configured_secret_verifies_during_rotation(botkit_runner_factory, payload_clock):
    bot = await botkit_runner_factory(
        whatsapp={"app_secrets": ["old-secret", "new-secret"], "app_secret": None},
        clock=payload_clock,
    )
    for secret in ("old-secret", "new-secret"):
        assert (await bot.post(TEXT, secret=secret)).status_code == 200
    assert (await bot.post(TEXT, secret=APP_SECRET)).status_code == 403


async def test_body_over_3_mb_is_413_before_it_is_read(bot):
    reader, writer = await open_socket(bot)
    writer.write(
        b"POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-length: 3145729\r\n"
        b"x-hub-signature-256: sha256=" + b"0" * 64 + b"\r\n\r\n"
    )
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status.startswith(b"HTTP/1.1 413")


async def test_chunked_body_over_the_limit_is_413(bot):
    body = b" " * (3 * 1024 * 1024 + 1)

    async def chunks():
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = await bot.client.post(
        "/webhook", content=chunks(), headers={"x-hub-signature-256": signature(body, APP_SECRET)}
    )
    assert response.status_code == 413
    assert stored_events(bot) == 0


async def test_body_of_exactly_3_mb_is_accepted(bot):
    doc = json.loads(payload_bytes("message_text.json"))
    compact = json.dumps(doc).encode()
    padded = compact[:-1] + b"," + b'"pad":"' + b"x" * (3145728 - len(compact) - 9) + b'"}'
    assert len(padded) == 3145728
    response = await bot.post(padded)
    assert response.status_code == 200
    assert stored_events(bot) == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b'{"object": "whatsapp_business_account", "entry": "\xff\xfe"}', "not valid JSON"),
        (b"[" * 2_000_000, "not valid JSON"),
        (b'{"object": "page", "entry": []}', "not 'whatsapp_business_account'"),
        (b"[1, 2, 3]", "not an object"),
    ],
)
async def test_authentic_but_unreadable_bodies_are_quarantined_and_acknowledged(bot, body, reason):
    response = await bot.post(body)
    assert response.status_code == 200
    reasons = quarantined(bot)
    assert len(reasons) == 1 and reason in reasons[0]
    [(stored, kind)] = db_rows(bot, "SELECT payload, kind FROM quarantine")
    assert kind == "body" and stored_events(bot) == 0
    if reason == "not valid JSON":  # nothing to re-encode: the signed bytes themselves
        assert bytes(stored) == body
    else:  # parsed, then refused whole: the same document, as compact JSON
        assert json.loads(stored) == json.loads(body)


async def test_unsigned_nesting_bomb_is_refused_without_parsing(bot):
    response = await post_raw(bot, b"[" * 2_000_000, {"content-type": "application/json"})
    assert response.status_code == 401
    assert quarantined(bot) == []


async def test_duplicate_keys_and_huge_numbers_do_not_crash(bot, recorder):
    body = TEXT.replace(b'"type": "text"', b'"type": "image", "type": "text"').replace(
        b'"timestamp": "1782900000"', b'"timestamp": "1782900000", "n": 1' + b"0" * 400
    )
    response = await bot.post(body)
    assert response.status_code == 200
    await bot.settle()
    assert recorder.counts()["message_received"] == 1
    assert recorder.events[-1].type == "text"


async def test_content_type_is_not_an_authenticity_check(bot, recorder):
    unsigned = await post_raw(bot, TEXT, {"content-type": "text/plain"})
    assert unsigned.status_code == 401
    signed = await bot.post(TEXT, headers={"content-type": "text/plain"})
    assert signed.status_code == 200


async def test_redelivery_and_the_same_message_in_another_batch_dispatch_once(bot, recorder):
    assert (await bot.post(TEXT)).status_code == 200
    assert (await bot.post(TEXT)).status_code == 200
    doc = json.loads(TEXT)
    other = json.loads(payload_bytes("status_sent.json"))
    doc["entry"].append(other["entry"][0])
    assert (await bot.post(doc)).status_code == 200
    await bot.settle()
    assert recorder.counts() == {"message_received": 1, "contact_updated": 1, "status_received": 1}
    metrics = (await bot.client.get("/metrics")).text
    assert "botkit_duplicates_total 4.0" in metrics


async def test_events_older_than_the_window_are_acknowledged_and_dropped(
    botkit_runner_factory, recorder
):
    bot = await botkit_runner_factory(
        enabled_plugins=["rec"],
        extra_plugins={"rec": recorder},
        store={"dedupe_days": 8},
        clock=lambda: PAYLOAD_NOW + 9 * 86400,
    )
    response = await bot.post(payload_bytes("status_sent.json"))
    assert response.status_code == 200
    await bot.settle()
    assert recorder.calls == [] and stored_events(bot) == 0


async def test_store_that_cannot_commit_answers_503_then_recovers(bot, recorder):
    blocker = sqlite3.connect(sqlite_path(bot.settings.store.url), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # holds the write lock, as another writer would
    try:
        response = await bot.post(TEXT)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert stored_events(bot) == 0
    response = await bot.post(TEXT)
    assert response.status_code == 200
    await bot.settle()
    assert recorder.counts()["message_received"] == 1


async def test_body_trickled_too_slowly_gets_408(botkit_runner_factory):
    bot = await botkit_runner_factory(server={"body_timeout": 0.3})
    reader, writer = await open_socket(bot)
    writer.write(
        b"POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n"
        b"x-hub-signature-256: sha256=" + b"0" * 64 + b"\r\n\r\n{"
    )
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status.startswith(b"HTTP/1.1 408")


async def open_socket(bot):
    url = urlsplit(bot.server.url)
    return await asyncio.open_connection(url.hostname, url.port)


class Stuck:
    """Holds every status until released, so that events pile up undispatched."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    @hookimpl
    async def status_received(self, status):
        await self.release.wait()


async def test_backlog_over_its_limit_gets_503_with_retry_after(botkit_runner_factory,
                                                               payload_clock):
    stuck = Stuck()
    bot = await botkit_runner_factory(enabled_plugins=["stuck"],
                                      extra_plugins={"stuck": stuck},
                                      store={"max_backlog": 10}, clock=payload_clock)
    assert (await bot.post(payload_bytes("statuses_batch.json"))).status_code == 200
    refused = await bot.post(TEXT)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
    assert "backlog" in refused.text
    stuck.release.set()
    await bot.settle()
    await bot.bot.pressure.sample()
    assert (await bot.post(TEXT)).status_code == 200


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_metrics_show_the_backlog_depth_and_age(botkit_runner_factory, request, store):
    now = [PAYLOAD_NOW]
    stuck = Stuck()
    tables = {} if store == "sqlite" else {"store": {
        "url": f"{REDIS_URL}?prefix={request.getfixturevalue('redis_prefix')}&lease_ms=1000"}}
    bot = await botkit_runner_factory(enabled_plugins=["stuck"],
                                      extra_plugins={"stuck": stuck}, clock=lambda: now[0],
                                      **tables)
    await bot.post(payload_bytes("statuses_batch.json"))
    now[0] += 42
    await bot.bot.pressure.sample()
    metrics = (await bot.client.get("/metrics")).text
    assert "botkit_backlog_events 50.0" in metrics
    assert "botkit_backlog_age_seconds 42.0" in metrics
    stuck.release.set()
    await bot.settle()
