"""The webhook refuses requests that repeat a security-relevant header, gives request bodies 10
seconds by default, and keeps the signed bytes exactly as they arrived for every body it
rejects as a whole. Real bots on loopback, raw sockets where a well-behaved client cannot
send the request."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from samples import db_rows

from botkit.settings import Settings
from botkit.testing import APP_SECRET, signature
from botkit.testing.payloads import text_message
from botkit.testing.signing import encode
from botkit.webhook.signature import matches


async def raw_post(url: str, head: bytes, body: bytes) -> int:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(f"POST {parts.path} HTTP/1.1\r\nhost: bot\r\n".encode() + head + b"\r\n"
                 + body)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize("repeated", ["signature", "content-length", "content-length-list"])
async def test_a_repeated_security_header_is_refused_whatever_its_values(
        botkit_runner_factory, recorder, repeated):
    bot = await botkit_runner_factory(enabled_plugins=["rec"], extra_plugins={"rec": recorder})
    body = encode(text_message("hello"))
    sig = signature(body, APP_SECRET).encode()
    length = str(len(body)).encode()
    head = {
        "signature": (b"content-length: " + length + b"\r\nx-hub-signature-256: " + sig
                      + b"\r\nx-hub-signature-256: " + sig + b"\r\n"),
        "content-length": (b"content-length: " + length + b"\r\ncontent-length: " + length
                           + b"\r\nx-hub-signature-256: " + sig + b"\r\n"),
        "content-length-list": (b"content-length: " + length + b", " + length
                                + b"\r\nx-hub-signature-256: " + sig + b"\r\n"),
    }[repeated]
    status = await raw_post(bot.url, head, body)
    assert status == (401 if repeated == "signature" else 400)
    await bot.settle()
    assert db_rows(bot, "SELECT count(*) FROM events") == [(0,)]
    assert recorder.calls == []


async def test_a_signature_header_given_twice_is_refused_on_hypercorn_too(tmp_path):
    from test_serve_hardening import serving

    body = encode(text_message("hello"))
    sig = signature(body, "test-secret")
    async with serving(tmp_path, "hypercorn") as (_, client):
        response = await client.post("/webhook", content=body, headers=[
            ("x-hub-signature-256", sig), ("x-hub-signature-256", sig),
            ("content-type", "application/json")])
        assert response.status_code == 401
        assert response.text == "X-Hub-Signature-256 given more than once"


def test_request_bodies_get_ten_seconds_and_heads_too_by_default():
    settings = Settings.from_dict({"whatsapp": {"verify_token": "v", "app_secret": "s"}},
                                  env={})
    assert settings.server.body_timeout == 10
    assert settings.server.header_timeout == 10


@pytest.mark.parametrize(("body", "reason"), [
    (b'{ "object" : "page",\n  "entry" : [ ] }', "object is 'page'"),
    (b'[ {"object": "whatsapp_business_account"} ]', "body is a JSON list"),
    (b'"\\u0068ello"', "body is a JSON str"),
    (b'{"object":"whatsapp_business_account","entry":{"id":"1"}}', "$.entry is missing"),
])
async def test_a_body_rejected_as_a_whole_is_kept_as_the_signed_bytes(
        botkit_runner_factory, body, reason):
    bot = await botkit_runner_factory()
    assert (await bot.post(body)).status_code == 200
    [(kept_reason, kept)] = db_rows(bot, "SELECT reason, payload FROM quarantine")
    assert reason in kept_reason
    assert kept == body  # byte for byte: the signature still checks out against it
    assert matches(kept, signature(body, APP_SECRET), [APP_SECRET])
