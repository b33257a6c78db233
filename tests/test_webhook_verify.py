"""GET verification, answered exactly as Meta expects."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode, urlsplit

import pytest

from botkit.testing import VERIFY_TOKEN


@pytest.fixture
async def bot(botkit_runner_factory):
    return await botkit_runner_factory()


async def test_echoes_the_bare_challenge(bot):
    response = await bot.verify(**{"hub.mode": "subscribe", "hub.challenge": "0123456789",
                                   "hub.verify_token": VERIFY_TOKEN})
    assert response.status_code == 200
    assert response.content == b"0123456789"  # no int() round-trip, no quotes, no newline
    assert response.headers["content-type"].startswith("text/plain")


async def test_challenge_is_opaque_text(bot):
    response = await bot.verify(**{"hub.mode": "subscribe", "hub.challenge": "a b/c+é",
                                   "hub.verify_token": VERIFY_TOKEN})
    assert response.status_code == 200
    assert response.text == "a b/c+é"


@pytest.mark.parametrize("token", ["wrong", "", VERIFY_TOKEN + "x", "é"])
async def test_wrong_token_is_403(bot, token):
    response = await bot.verify(**{"hub.mode": "subscribe", "hub.challenge": "1",
                                   "hub.verify_token": token})
    assert response.status_code == 403
    assert b"1" not in response.content


async def test_missing_token_is_403(bot):
    response = await bot.verify(**{"hub.mode": "subscribe", "hub.challenge": "1"})
    assert response.status_code == 403


@pytest.mark.parametrize("missing", ["hub.mode", "hub.challenge"])
async def test_other_missing_parameters_are_400(bot, missing):
    params = {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN}
    del params[missing]
    response = await bot.verify(**params)
    assert response.status_code == 400
    assert missing in response.text


async def test_wrong_mode_is_refused(bot):
    response = await bot.verify(**{"hub.mode": "unsubscribe", "hub.challenge": "1",
                                   "hub.verify_token": VERIFY_TOKEN})
    assert response.status_code == 403


async def test_duplicated_parameters_are_400(bot):
    query = (f"hub.mode=subscribe&hub.challenge=1&hub.challenge=2"
             f"&hub.verify_token={VERIFY_TOKEN}")
    response = await bot.client.get(f"/webhook?{query}")
    assert response.status_code == 400
    assert "hub.challenge" in response.text


async def test_other_methods_are_405(bot):
    response = await bot.client.put("/webhook", content=b"{}")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


async def test_refusals_log_one_line_without_the_token(bot, caplog):
    caplog.set_level("WARNING", logger="botkit")
    await bot.verify(**{"hub.mode": "subscribe", "hub.challenge": "1",
                        "hub.verify_token": "not-the-token-secret"})
    lines = [r.getMessage() for r in caplog.records if r.name == "botkit.webhook"]
    assert len(lines) == 1
    assert "403" in lines[0] and "not-the-token-secret" not in lines[0]
    assert VERIFY_TOKEN not in lines[0]


# -- HEAD: the GET answer without its body -----------------------------------------------------


async def head_then_health(bot, query: str) -> tuple[bytes, dict[str, str], bytes]:
    """HEAD the webhook, then GET /healthz on the same connection (pipelined): the status line
    and headers of the HEAD answer, and all that follows them on the wire. Any body bytes
    after the HEAD answer would come before the second answer."""
    url = urlsplit(bot.server.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(f"HEAD /webhook?{query} HTTP/1.1\r\nhost: x\r\n\r\n"
                     "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        rest = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines if line)
    return status_line.encode(), headers, rest


@pytest.mark.parametrize(("params", "status"), [
    ({"hub.mode": "subscribe", "hub.challenge": "0123456789", "hub.verify_token": VERIFY_TOKEN},
     200),
    ({"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong"}, 403),
    ({"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN}, 403),
    ({"hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN}, 400),
])
async def test_head_answers_like_get_without_a_body(bot, params, status):
    get = await bot.verify(**params)
    assert get.status_code == status and get.content
    status_line, headers, rest = await head_then_health(bot, urlencode(params))
    assert status_line.startswith(f"HTTP/1.1 {status} ".encode())
    assert headers["content-type"] == get.headers["content-type"]
    assert headers["content-length"] == str(len(get.content))  # what GET would send
    # Not one body byte: the next thing on the connection is the answer to the next request.
    assert rest.startswith(b"HTTP/1.1 200 ") and rest.endswith(b"\r\n\r\nok")


async def test_head_refusals_log_one_line_like_get(bot, caplog):
    caplog.set_level("WARNING", logger="botkit")
    response = await bot.client.head("/webhook", params={
        "hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "not-the-token-secret"})
    assert (response.status_code, response.content) == (403, b"")
    lines = [r.getMessage() for r in caplog.records if r.name == "botkit.webhook"]
    assert lines == ["webhook HEAD 403 from 127.0.0.1: verify token mismatch"]
