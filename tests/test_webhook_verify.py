"""GET verification, answered exactly as Meta expects."""

from __future__ import annotations

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
