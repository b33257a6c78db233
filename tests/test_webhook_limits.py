"""What protects the webhook when requests are slow, broken or the disk is full: the budget of
request bytes in flight, a client that goes away mid-body, and the free-disk backpressure. Real
bots on loopback, raw sockets where a well-behaved client cannot produce the case."""

from __future__ import annotations

import asyncio
import logging
import shutil
from urllib.parse import urlsplit

import pytest
from samples import db_rows, payload_bytes

from botkit import SettingsError
from botkit.testing import APP_SECRET, VERIFY_TOKEN, make_settings, signature
from botkit.testing.payloads import new_wamid, text_message, wire_bytes

TEXT = payload_bytes("message_text.json")
BUDGET = 1024 * 1024  # the smallest max_inflight_bytes the settings allow
MAX_BODY = 512 * 1024
LIMITS = {"max_inflight_bytes": BUDGET, "max_body_bytes": MAX_BODY}


def padded_message(size: int) -> tuple[bytes, str]:
    """A signed-ready text message padded to exactly ``size`` bytes, and its event key."""
    wamid = new_wamid()
    compact = wire_bytes(text_message("Do you ship to Lisbon?", message_id=wamid))
    filler = size - len(compact) - len(b',"pad":""')
    body = compact[:-1] + b',"pad":"' + b"x" * filler + b'"}'
    assert len(body) == size
    return body, f"message:{wamid}"


def stored_keys(bot) -> set[str]:
    return {row[0] for row in db_rows(bot, "SELECT key FROM events")}


def quarantined(bot) -> int:
    return db_rows(bot, "SELECT count(*) FROM quarantine")[0][0]


class SlowPost:
    """A POST on a socket of its own whose body is sent in two parts, when the test says."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def start(self, url: str, sent: int) -> SlowPost:
        parts = urlsplit(url)
        self.reader, self.writer = await asyncio.open_connection(parts.hostname, parts.port)
        self.writer.write(
            f"POST {parts.path} HTTP/1.1\r\nhost: {parts.hostname}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(self.body)}\r\n"
            f"x-hub-signature-256: {signature(self.body, APP_SECRET)}\r\n\r\n".encode()
            + self.body[:sent])
        await self.writer.drain()
        self.sent = sent
        return self

    async def send_rest(self) -> None:
        assert self.writer is not None
        self.writer.write(self.body[self.sent:])
        await self.writer.drain()

    async def response(self, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines if line)
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, body

    async def hang_up(self) -> None:
        assert self.writer is not None
        self.writer.close()
        await self.writer.wait_closed()


# -- bytes in flight ---------------------------------------------------------------------------


async def test_bodies_in_flight_over_the_budget_get_503_and_the_rest_go_through(
        botkit_runner_factory, recorder, payload_clock, caplog):
    caplog.set_level(logging.WARNING, logger="botkit.webhook")
    bot = await botkit_runner_factory(enabled_plugins=["rec"], extra_plugins={"rec": recorder},
                                      server=LIMITS,
                                      clock=payload_clock)
    # Three bodies of 400 kB on their way at once: two fit in 1 MiB, the third does not.
    bodies = [padded_message(400_000) for _ in range(3)]
    posts = [await SlowPost(body).start(bot.url, sent=1000) for body, _ in bodies]
    pending = {asyncio.create_task(post.response()): post for post in posts}
    done, _ = await asyncio.wait(pending, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert len(done) == 1, "exactly one of the slow bodies is refused, at once"
    [first] = done
    status, headers, text = first.result()
    assert (status, headers["retry-after"]) == (503, "5")
    assert text == b"too many request bodies in flight"
    refused = pending.pop(first)
    await refused.hang_up()
    await asyncio.sleep(0.2)
    assert not any(task.done() for task in pending), (
        "the admitted bodies are still being read, not answered")

    # Small bodies still fit beside the two in flight: the budget counts bytes, not requests.
    assert (await bot.post(TEXT)).status_code == 200
    for answer, post in pending.items():
        await post.send_rest()
        status, _, _ = await answer
        assert status == 200
        await post.hang_up()
    # Both finished: their bytes are back in the budget and the refused body goes through.
    refused_body, refused_key = next(
        (body, key) for body, key in bodies if body == refused.body)
    assert (await bot.post(refused_body)).status_code == 200
    await bot.settle()
    dispatched = {key for hook, key, _ in recorder.calls if hook == "message_received"}
    assert {key for _, key in bodies} <= dispatched and refused_key in stored_keys(bot)
    refusals = [r.getMessage() for r in caplog.records
                if r.name == "botkit.webhook" and r.levelno == logging.WARNING]
    assert len(refusals) == 1 and "503" in refusals[0] and "in flight" in refusals[0]


async def test_a_body_of_unknown_length_reserves_one_maximal_body(botkit_runner_factory,
                                                                   payload_clock):
    bot = await botkit_runner_factory(server=LIMITS, clock=payload_clock)

    async def chunked(body: bytes):
        yield body

    def post_chunked(body: bytes):
        return bot.client.post("/webhook", content=chunked(body),
                               headers={"x-hub-signature-256": signature(body, APP_SECRET)})

    assert (await post_chunked(TEXT)).status_code == 200  # 512 KiB of the 1 MiB reserved
    # Beside 600 kB in flight, 512 KiB more do not fit, however short the body turns out to be;
    # the same short body with its length declared does.
    slow = [await SlowPost(padded_message(300_000)[0]).start(bot.url, sent=1000)
            for _ in range(2)]
    await asyncio.sleep(0.2)  # their headers are read and their bytes reserved by now
    refused = await post_chunked(TEXT)
    assert (refused.status_code, refused.text) == (503, "too many request bodies in flight")
    assert (await bot.post(TEXT)).status_code == 200
    for post in slow:
        await post.send_rest()
        assert (await post.response())[0] == 200
        await post.hang_up()
    assert (await post_chunked(TEXT)).status_code == 200


def test_a_budget_smaller_than_one_body_is_refused_at_startup(tmp_path):
    """Otherwise every body of unknown length, and every body larger than the budget, would get
    503 for ever, even with nothing else in flight: Meta retries and never gets through."""
    with pytest.raises(SettingsError) as refused:
        make_settings(tmp_path, server={"max_inflight_bytes": BUDGET,
                                        "max_body_bytes": 3 * 1024 * 1024})
    assert "server.max_inflight_bytes" in str(refused.value)
    assert "server.max_body_bytes" in str(refused.value)
    make_settings(tmp_path, server={"max_inflight_bytes": BUDGET, "max_body_bytes": BUDGET})


# -- a client that hangs up ---------------------------------------------------------------------


async def test_client_gone_mid_body_stores_nothing_logs_once_and_the_bot_carries_on(
        botkit_runner_factory, recorder, payload_clock, caplog):
    caplog.set_level(logging.INFO)
    bot = await botkit_runner_factory(enabled_plugins=["rec"], extra_plugins={"rec": recorder},
                                      server=LIMITS, clock=payload_clock)
    body, key = padded_message(520_000)  # two of them just fit in the 1 MiB budget
    caplog.clear()
    gone = await SlowPost(body).start(bot.url, sent=200_000)
    await gone.hang_up()
    for _ in range(500):
        if any("went away" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # anything else it would log comes now
    lines = [r for r in caplog.records if r.name.startswith(("botkit", "uvicorn"))]
    assert [r.getMessage() for r in lines] == [
        "webhook client went away before sending the body"]
    assert lines[0].levelno == logging.INFO and lines[0].exc_info is None
    assert stored_keys(bot) == set() and quarantined(bot) == 0

    # Healthy afterwards: the bytes it had reserved are free again, so another slow body and
    # the same body once more fit side by side, and both are stored and dispatched.
    other, other_key = padded_message(520_000)
    slow = await SlowPost(other).start(bot.url, sent=1000)
    answer = asyncio.create_task(slow.response())
    assert (await bot.post(body)).status_code == 200
    await slow.send_rest()
    assert (await answer)[0] == 200
    await slow.hang_up()
    await bot.settle()
    dispatched = [k for hook, k, _ in recorder.calls if hook == "message_received"]
    assert sorted(dispatched) == sorted([key, other_key])
    assert (await bot.client.get("/healthz")).status_code == 200


# -- free disk space ----------------------------------------------------------------------------


async def wait_for_refusal(bot, timeout: float = 5.0) -> str:
    """The reason the bot's own once-a-second sampling gives for refusing webhooks."""
    for _ in range(int(timeout / 0.02)):
        if bot.bot.pressure.reason is not None:
            return bot.bot.pressure.reason
        await asyncio.sleep(0.02)
    raise AssertionError("the bot never started refusing webhooks")


async def test_store_disk_below_min_free_gets_503_with_retry_after(
        botkit_runner_factory, recorder, payload_clock, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="botkit.backpressure")
    free_mb = shutil.disk_usage(tmp_path).free // 2**20
    bot = await botkit_runner_factory(enabled_plugins=["rec"], extra_plugins={"rec": recorder},
                                      store={"min_free_mb": free_mb + 1024 * 1024},
                                      clock=payload_clock)
    reason = await wait_for_refusal(bot)
    assert reason.startswith("only ") and reason.endswith(" MiB free for the store")
    response = await bot.post(TEXT)
    assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    assert response.text == f"not accepting webhooks now: {reason}"
    assert stored_keys(bot) == set() and quarantined(bot) == 0
    warnings = [r.getMessage() for r in caplog.records if r.name == "botkit.backpressure"]
    assert warnings == [f"refusing new webhooks: {reason}"]
    # Meta can still verify the endpoint meanwhile; only new events are refused.
    verified = await bot.verify(**{"hub.mode": "subscribe", "hub.challenge": "7",
                                   "hub.verify_token": VERIFY_TOKEN})
    assert (verified.status_code, verified.text) == (200, "7")
    await bot.settle()
    assert recorder.calls == []


@pytest.mark.parametrize("min_free_mb", [0, 1])
async def test_enough_free_disk_is_accepted(botkit_runner_factory, payload_clock, min_free_mb):
    bot = await botkit_runner_factory(store={"min_free_mb": min_free_mb}, clock=payload_clock)
    await bot.bot.pressure.sample()
    assert bot.bot.pressure.reason is None
    assert (await bot.post(TEXT)).status_code == 200
