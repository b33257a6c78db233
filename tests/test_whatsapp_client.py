"""The Cloud API client against the fake Graph API over real HTTP, plus its building blocks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from botkit.testing.fake_graph import FakeGraphAPI
from botkit.whatsapp.client import (
    MediaIntegrityError,
    SendResult,
    UntrustedMediaHost,
    WhatsAppClient,
)
from botkit.whatsapp.errors import (
    AuthError,
    GraphError,
    InvalidRequest,
    OutcomeUnknown,
    PairRateLimited,
    PermanentGraphError,
    RateLimited,
    ReEngagementRequired,
    TransientGraphError,
    classify,
    parse_retry_after,
)
from botkit.whatsapp.media import digest_from, extension_for, is_trusted_url
from botkit.whatsapp.ratelimit import KeyedLimiter, TokenBucket, pair_limiter, throughput_limiter

TOKEN = "EAAGtest-access-token-0123456789"
PNID = "106540352242922"
USER = "16505551234"


class FakeClock:
    """Monotonic time that only moves when something sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.time = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds
        await asyncio.sleep(0)


@pytest.fixture
def fake() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI(access_token=TOKEN) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


ClientFactory = Callable[..., WhatsAppClient]


@pytest.fixture
async def make_client(fake: FakeGraphAPI, clock: FakeClock) -> AsyncIterator[ClientFactory]:
    """Clients on the fake clock, pointed at the fake; options override the defaults."""
    clients: list[WhatsAppClient] = []

    def make(**options: Any) -> WhatsAppClient:
        settings: dict[str, Any] = {
            "access_token": TOKEN,
            "graph_url": fake.url,
            "clock": clock.now,
            "sleep": clock.sleep,
            "timeout": 2.0,
        }
        clients.append(WhatsAppClient(**{**settings, **options}))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: ClientFactory) -> WhatsAppClient:
    return make_client()


def envelope(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": USER,
            **message, **extra}


# -- each helper sends the body Meta documents ------------------------------------------------

SECTIONS = [
    {"title": "Drinks", "rows": [{"id": "tea", "title": "Tea", "description": "Hot"}]},
    {"title": "Food", "rows": [{"id": "cake", "title": "Cake"}]},
]

HELPER_CASES = [
    (
        lambda c: c.send_text(PNID, USER, "hi", reply_to="wamid.IN", preview_url=True),
        envelope({"type": "text", "text": {"preview_url": True, "body": "hi"}},
                 context={"message_id": "wamid.IN"}),
    ),
    (
        lambda c: c.send_reaction(PNID, USER, "wamid.IN", "\N{THUMBS UP SIGN}"),
        envelope({"type": "reaction",
                  "reaction": {"message_id": "wamid.IN", "emoji": "\N{THUMBS UP SIGN}"}}),
    ),
    (
        lambda c: c.send_reaction(PNID, USER, "wamid.IN", ""),
        envelope({"type": "reaction", "reaction": {"message_id": "wamid.IN", "emoji": ""}}),
    ),
    (
        lambda c: c.send_media(PNID, USER, "image", link="https://example.com/a.jpg",
                               caption="A cat"),
        envelope({"type": "image",
                  "image": {"link": "https://example.com/a.jpg", "caption": "A cat"}}),
    ),
    (
        lambda c: c.send_media(PNID, USER, "document", media_id="1013859600285441",
                               filename="invoice.pdf", reply_to="wamid.IN"),
        envelope({"type": "document",
                  "document": {"id": "1013859600285441", "filename": "invoice.pdf"}},
                 context={"message_id": "wamid.IN"}),
    ),
    (
        lambda c: c.send_media(PNID, USER, "sticker", media_id="77"),
        envelope({"type": "sticker", "sticker": {"id": "77"}}),
    ),
    (
        lambda c: c.send_buttons(PNID, USER, "Pick one", [("yes", "Yes"), ("no", "No")],
                                 header="Question", footer="Thanks"),
        envelope({"type": "interactive", "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "Question"},
            "body": {"text": "Pick one"},
            "footer": {"text": "Thanks"},
            "action": {"buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}},
            ]},
        }}),
    ),
    (
        lambda c: c.send_list(PNID, USER, "Menu", "See menu", SECTIONS, header="Cafe"),
        envelope({"type": "interactive", "interactive": {
            "type": "list",
            "header": {"type": "text", "text": "Cafe"},
            "body": {"text": "Menu"},
            "action": {"button": "See menu", "sections": SECTIONS},
        }}),
    ),
    (
        lambda c: c.send_template(PNID, USER, "order_confirmation", "en_US", [
            {"type": "body", "parameters": [{"type": "text", "text": "Jessica"}]}]),
        envelope({"type": "template", "template": {
            "name": "order_confirmation",
            "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Jessica"}]}],
        }}),
    ),
    (
        lambda c: c.send_location(PNID, USER, 0.0, -122.4, name="HQ", address="1 Hacker Way"),
        envelope({"type": "location", "location": {
            "latitude": 0.0, "longitude": -122.4, "name": "HQ", "address": "1 Hacker Way"}}),
    ),
    (
        lambda c: c.send_contacts(PNID, USER, [
            {"name": {"formatted_name": "Ana Lima", "first_name": "Ana"},
             "phones": [{"phone": "+5511999999999", "type": "CELL"}]}]),
        envelope({"type": "contacts", "contacts": [
            {"name": {"formatted_name": "Ana Lima", "first_name": "Ana"},
             "phones": [{"phone": "+5511999999999", "type": "CELL"}]}]}),
    ),
]


@pytest.mark.parametrize(("call", "expected"), HELPER_CASES)
async def test_helpers_send_the_documented_body(
    fake: FakeGraphAPI, client: WhatsAppClient, call: Any, expected: dict[str, Any]
) -> None:
    result = await call(client)

    assert fake.sent_messages(PNID) == [expected]
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", f"/v23.0/{PNID}/messages")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert isinstance(result, SendResult)
    assert result.message_id.startswith("wamid.") and result.wa_id == USER
    expected_status = "accepted" if expected["type"] == "template" else None
    assert result.message_status == expected_status


async def test_send_to_a_user_id_with_callback_data(
    fake: FakeGraphAPI, client: WhatsAppClient
) -> None:
    result = await client.send(PNID, None, {"type": "text", "text": {"body": "hi"}},
                               recipient="US.13491208655302741918",
                               biz_opaque_callback_data="campaign-7")
    assert fake.sent_messages() == [{
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "recipient": "US.13491208655302741918",
        "type": "text",
        "text": {"body": "hi"},
        "biz_opaque_callback_data": "campaign-7",
    }]
    assert result.user_id == "US.13491208655302741918" and result.wa_id is None


@pytest.mark.parametrize("typing", [False, True])
async def test_mark_read(fake: FakeGraphAPI, client: WhatsAppClient, typing: bool) -> None:
    assert await client.mark_read(PNID, "wamid.IN", typing=typing) is None
    expected = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN"}
    if typing:
        expected["typing_indicator"] = {"type": "text"}
    assert fake.read_receipts() == [expected]
    assert fake.sent_messages() == []


# -- Meta's limits are checked before anything is sent -----------------------------------------

LIMIT_CASES = [
    (lambda c: c.send_text(PNID, USER, "x" * 4097), "limited to 4096"),
    (lambda c: c.send_text(PNID, USER, "  "), "must not be empty"),
    (lambda c: c.send_buttons(PNID, USER, "b", [(str(i), str(i)) for i in range(4)]), "1 to 3"),
    (lambda c: c.send_buttons(PNID, USER, "b", [("id", "t" * 21)]), "button title .* 20"),
    (lambda c: c.send_buttons(PNID, USER, "b", [("i" * 257, "t")]), "button id .* 256"),
    (lambda c: c.send_buttons(PNID, USER, "b" * 1025, [("i", "t")]), "body .* 1024"),
    (lambda c: c.send_buttons(PNID, USER, "b", [("i", "t")], footer="f" * 61), "footer .* 60"),
    (lambda c: c.send_buttons(PNID, USER, "b", [("i", "t")], header="h" * 61), "header .* 60"),
    (lambda c: c.send_buttons(PNID, USER, "b", [("i", "A"), ("i", "B")]), "unique"),
    (lambda c: c.send_list(PNID, USER, "b", "btn", [
        {"title": str(i), "rows": [{"id": str(i), "title": "t"}]} for i in range(11)]),
     "1 to 10 sections"),
    (lambda c: c.send_list(PNID, USER, "b", "btn", [
        {"title": "s", "rows": [{"id": str(i), "title": "t"} for i in range(11)]}]),
     "at most 10 rows"),
    (lambda c: c.send_list(PNID, USER, "b", "btn", [
        {"rows": [{"id": "a", "title": "t" * 25}]}]), "row title .* 24"),
    (lambda c: c.send_list(PNID, USER, "b", "btn", [
        {"rows": [{"id": "a", "title": "t", "description": "d" * 73}]}]), "description .* 72"),
    (lambda c: c.send_list(PNID, USER, "b", "btn", [
        {"rows": [{"id": "i" * 201, "title": "t"}]}]), "row id .* 200"),
    (lambda c: c.send_list(PNID, USER, "b", "b" * 21, [{"rows": [{"id": "a", "title": "t"}]}]),
     "button label .* 20"),
    (lambda c: c.send_list(PNID, USER, "b", "btn", [
        {"title": "one", "rows": [{"id": "a", "title": "t"}]},
        {"rows": [{"id": "b", "title": "t"}]}]), "section 1 title must be a string"),
    (lambda c: c.send_media(PNID, USER, "audio", media_id="1", caption="c"), "caption"),
    (lambda c: c.send_media(PNID, USER, "image", media_id="1", link="https://x/y"), "exactly one"),
    (lambda c: c.send_media(PNID, USER, "gif", media_id="1"), "media kind"),
    (lambda c: c.send_media(PNID, USER, "image", link="ftp://x/y"), "http"),
    (lambda c: c.send_location(PNID, USER, 91, 0), "out of range"),
    (lambda c: c.send_contacts(PNID, USER, [{"phones": []}]), "formatted_name"),
    (lambda c: c.send(PNID, USER, {"type": "reaction", "reaction": {"message_id": "m"}},
                      reply_to="wamid.IN"), "reaction cannot be sent as a reply"),
    (lambda c: c.send(PNID, USER, {"type": "text"}), "an object .* under the key"),
    (lambda c: c.send(PNID, None, {"type": "text", "text": {"body": "x"}}), "'to'"),
    (lambda c: c.send_text("../me", USER, "x"), "Graph object id"),
]


@pytest.mark.parametrize(("call", "problem"), LIMIT_CASES)
async def test_limits_are_checked_before_sending(
    fake: FakeGraphAPI, client: WhatsAppClient, call: Any, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        await call(client)
    assert fake.requests == []


# -- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "error_type"),
    [
        (429, None, RateLimited),
        (500, None, TransientGraphError),
        (503, None, TransientGraphError),
        (400, 130429, RateLimited),
        (400, 131056, PairRateLimited),
        (500, 131000, TransientGraphError),
    ],
)
async def test_transient_failures_are_retried_honouring_retry_after(
    fake: FakeGraphAPI,
    clock: FakeClock,
    make_client: ClientFactory,
    status: int,
    code: int | None,
    error_type: type[GraphError],
) -> None:
    fake.fail_next(2, status=status, code=code, retry_after=7)

    result = await make_client().send_text(PNID, USER, "hello")

    assert result.message_id.startswith("wamid.")
    assert len(fake.requests) == 3
    assert [m["text"]["body"] for m in fake.sent_messages()] == ["hello"]
    assert clock.sleeps == [7.0, 7.0]

    # The same failure once more than a client may try: it is raised as what it is.
    fake.fail_next(2, status=status, code=code, retry_after=7)
    with pytest.raises(GraphError) as caught:
        await make_client(max_attempts=2).send_text(PNID, USER, "hello")
    error = caught.value
    assert type(error) is error_type
    assert (error.http_status, error.code, error.retryable, error.retry_after) == (
        status, code, True, 7.0)
    assert len(fake.requests) == 5


async def test_retries_back_off_without_retry_after(
    fake: FakeGraphAPI, clock: FakeClock, client: WhatsAppClient
) -> None:
    fake.fail_next(3, status=503)
    await client.send_text(PNID, USER, "hello")
    assert len(fake.requests) == 4
    assert len(clock.sleeps) == 3
    assert all(0 < pause <= 30 for pause in clock.sleeps)


async def test_pair_rate_limit_waits_four_to_the_n_seconds(
    fake: FakeGraphAPI, clock: FakeClock, make_client: ClientFactory
) -> None:
    client = make_client(pair_interval=0.001)  # keep the client-side pair guard out of the way
    fake.fail_next(2, code=131056)
    await client.send_text(PNID, USER, "hello")
    backoff = [pause for pause in clock.sleeps if pause >= 0.5]
    assert 1.0 <= backoff[0] <= 1.25 and 4.0 <= backoff[1] <= 5.0


async def test_retries_stop_after_max_attempts(
    fake: FakeGraphAPI, make_client: ClientFactory
) -> None:
    client = make_client(max_attempts=3)
    fake.fail_next(10, status=500, code=133004)
    with pytest.raises(TransientGraphError, match="133004") as caught:
        await client.send_text(PNID, USER, "hello")
    assert len(fake.requests) == 3
    assert caught.value.retryable and caught.value.http_status == 500


async def test_a_retry_after_beyond_the_budget_is_raised_at_once(
    fake: FakeGraphAPI, client: WhatsAppClient
) -> None:
    fake.fail_next(1, status=429, retry_after=120)
    with pytest.raises(RateLimited) as caught:
        await client.send_text(PNID, USER, "hello")
    assert caught.value.retry_after == 120
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("status", "code", "error_type", "advice"),
    [
        (400, 131047, ReEngagementRequired, "template"),
        (400, 100, InvalidRequest, "fix the request"),
        (401, 190, AuthError, "refresh it"),
        (400, 131026, PermanentGraphError, "do not retry"),
        (500, 131051, PermanentGraphError, "supported type"),  # by code, not by HTTP status
        (403, 368, PermanentGraphError, "policy"),
    ],
)
async def test_permanent_errors_are_not_retried(
    fake: FakeGraphAPI,
    client: WhatsAppClient,
    status: int,
    code: int,
    error_type: type[GraphError],
    advice: str,
) -> None:
    fake.fail_next(3, status=status, code=code)
    with pytest.raises(error_type, match=advice) as caught:
        await client.send_text(PNID, USER, "hello")
    error = caught.value
    assert len(fake.requests) == 1
    assert (error.code, error.http_status, error.retryable) == (code, status, False)
    assert error.fbtrace_id and error.details and advice in error.hint


async def test_a_dropped_send_is_outcome_unknown_and_not_resent(
    fake: FakeGraphAPI, client: WhatsAppClient
) -> None:
    fake.drop_next()
    with pytest.raises(OutcomeUnknown, match="may or may not have been sent"):
        await client.send_text(PNID, USER, "hello")
    assert len(fake.requests) == 1


async def test_a_timed_out_send_is_outcome_unknown(
    fake: FakeGraphAPI, make_client: ClientFactory
) -> None:
    client = make_client(timeout=0.1)
    fake.delay_next(1, 0.4)
    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        await client.send_text(PNID, USER, "hello")
    # Meta got the message anyway: re-sending would have sent it twice.
    assert len(await fake.wait_for_messages(1)) == 1
    assert len(fake.requests) == 1


async def test_idempotent_calls_are_retried_after_a_lost_answer(
    fake: FakeGraphAPI, client: WhatsAppClient
) -> None:
    fake.drop_next(1, path_contains="/messages")
    await client.mark_read(PNID, "wamid.IN")
    fake.add_media("M1", b"data", "text/plain")
    fake.drop_next(1, path_contains="/M1")
    info = await client.media_info("M1")
    assert info.file_size == 4
    assert len(fake.read_receipts()) == 1
    assert len(fake.requests) == 4


async def test_an_unreachable_graph_api_is_retried_then_reported(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(graph_url=f"http://127.0.0.1:{port}", max_attempts=3)
    with pytest.raises(TransientGraphError, match="could not connect"):
        await client.send_text(PNID, USER, "hello")
    assert len(clock.sleeps) == 2


# -- client-side rate limits --------------------------------------------------------------------


async def test_throughput_limiter_spaces_sends_per_business_number(
    fake: FakeGraphAPI, clock: FakeClock, make_client: ClientFactory
) -> None:
    client = make_client(messages_per_second=10)
    for index in range(5):
        await client.send_text(PNID, f"1650555000{index}", "hello")
    assert clock.sleeps == pytest.approx([0.1] * 4)
    await client.send_text("other-number", USER, "hello")  # its own budget
    assert clock.time == pytest.approx(0.4)
    assert len(fake.sent_messages()) == 6


async def test_pair_guard_lets_a_burst_through_then_waits(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    client = make_client(pair_burst=3, pair_interval=6.0, messages_per_second=1e6)
    for _ in range(3):
        await client.send_text(PNID, USER, "hello")
    assert clock.time == pytest.approx(0, abs=1e-3)
    await client.send_text(PNID, USER, "fourth")
    assert clock.time == pytest.approx(6.0, abs=1e-3)
    await client.send_text(PNID, "16505550000", "another user")
    assert clock.time == pytest.approx(6.0, abs=1e-3)


async def test_a_pair_rate_error_empties_that_pair_budget(
    fake: FakeGraphAPI, clock: FakeClock, make_client: ClientFactory
) -> None:
    client = make_client(messages_per_second=1e6)
    fake.fail_next(1, code=131056)
    await client.send_text(PNID, USER, "hello")
    # Backoff first, then the emptied bucket holds the retry until one interval has passed.
    assert clock.time == pytest.approx(6.0, abs=1e-3)


async def test_token_bucket_serves_concurrent_waiters_in_order(clock: FakeClock) -> None:
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    limiter = KeyedLimiter(2, 4.0, clock=clock.now, sleep=record)
    waits = await asyncio.gather(*(limiter.acquire("pnid") for _ in range(5)))
    assert waits == pytest.approx([0, 0, 0.25, 0.5, 0.75])
    assert pauses == pytest.approx([0.25, 0.5, 0.75])


async def test_pair_limiter_refills_one_per_interval_up_to_the_burst(clock: FakeClock) -> None:
    limiter = pair_limiter(45, 6.0, clock=clock.now, sleep=clock.sleep)
    waits = [await limiter.acquire(("pnid", USER)) for _ in range(46)]
    assert waits[:45] == [0] * 45 and waits[45] == pytest.approx(6.0)
    clock.time += 12  # two intervals: two more messages may go at once, the third waits
    waits = [await limiter.acquire(("pnid", USER)) for _ in range(3)]
    assert waits == pytest.approx([0, 0, 6.0])
    bucket = TokenBucket(45, 1 / 6, clock=clock.now)
    clock.time += 3600
    assert bucket.tokens() == 45  # never more than the burst


async def test_throughput_limiter_never_exceeds_the_rate_in_any_second(clock: FakeClock) -> None:
    limiter = throughput_limiter(80, clock=clock.now, sleep=clock.sleep)
    moments = []
    for _ in range(200):
        await limiter.acquire("pnid")
        moments.append(clock.time)
    assert moments[-1] == pytest.approx(199 / 80)
    for start in moments:
        assert sum(start <= moment < start + 1 - 1e-9 for moment in moments) <= 80


async def test_idle_buckets_are_forgotten(clock: FakeClock) -> None:
    limiter = pair_limiter(45, 6.0, clock=clock.now, sleep=clock.sleep)
    for index in range(1100):
        await limiter.acquire(("pnid", str(index)))
        clock.time += 1
    assert len(limiter) < 1100


async def test_a_cancelled_waiter_gives_its_token_back(clock: FakeClock) -> None:
    never = asyncio.Event()
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 1:
            await never.wait()

    limiter = KeyedLimiter(1, 1.0, clock=clock.now, sleep=sleep)
    await limiter.acquire("k")
    waiter = asyncio.create_task(limiter.acquire("k"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await limiter.acquire("k") == 1.0  # not 2.0: the cancelled reservation was returned


# -- media ------------------------------------------------------------------------------------


async def test_download_media_checks_sha256_and_uses_a_generated_name(
    fake: FakeGraphAPI, client: WhatsAppClient, tmp_path: Path
) -> None:
    content = b"OggS fake voice note"
    fake.add_media("VOICE1", content, "audio/ogg; codecs=opus")
    webhook_sha = base64.b64encode(hashlib.sha256(content).digest()).decode()

    path = await client.download_media("VOICE1", tmp_path, sha256=webhook_sha)

    assert path.parent == tmp_path and path.suffix == ".ogg" and "VOICE1" not in path.name
    assert path.read_bytes() == content
    download = fake.requests[-1]
    assert download.path == "/media-download/VOICE1"
    assert download.headers["authorization"] == f"Bearer {TOKEN}"
    hex_sha = hashlib.sha256(content).hexdigest()
    hex_path = await client.download_media("VOICE1", tmp_path, sha256=hex_sha)
    assert hex_path != path and hex_path.read_bytes() == content


async def test_download_media_sha256_mismatch_deletes_the_file(
    fake: FakeGraphAPI, client: WhatsAppClient, tmp_path: Path
) -> None:
    fake.add_media("IMG1", b"real bytes", "image/jpeg")
    wrong = base64.b64encode(hashlib.sha256(b"other bytes").digest()).decode()
    with pytest.raises(MediaIntegrityError, match="sha256"):
        await client.download_media("IMG1", tmp_path, sha256=wrong)
    assert list(tmp_path.iterdir()) == []


async def test_download_media_enforces_a_size_limit(
    fake: FakeGraphAPI, client: WhatsAppClient, tmp_path: Path
) -> None:
    fake.add_media("BIG", b"x" * 5000, "application/pdf")
    with pytest.raises(MediaIntegrityError, match="larger than"):
        await client.download_media("BIG", tmp_path, max_bytes=1000)
    assert list(tmp_path.iterdir()) == []


async def test_the_token_is_never_sent_to_a_foreign_host(
    fake: FakeGraphAPI, client: WhatsAppClient, tmp_path: Path
) -> None:
    with FakeGraphAPI() as foreign:
        foreign.add_media("X", b"bytes", "image/png")
        fake.add_media("X", b"bytes", "image/png", download_url=f"{foreign.url}/media-download/X")
        with pytest.raises(UntrustedMediaHost, match="refusing to send the access token"):
            await client.download_media("X", tmp_path)
        assert foreign.requests == []
    assert list(tmp_path.iterdir()) == []


def test_trusted_media_hosts() -> None:
    graph = "https://graph.facebook.com"
    hosts = ("fbsbx.com", "facebook.com", "whatsapp.net")
    assert is_trusted_url("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
                          graph, hosts)
    assert is_trusted_url("https://mmg.whatsapp.net/v/t62/abc", graph, hosts)
    assert is_trusted_url("http://127.0.0.1:9/x", "http://127.0.0.1:9", hosts)
    assert not is_trusted_url("http://lookaside.fbsbx.com/x", graph, hosts)  # not https
    assert not is_trusted_url("https://evilfbsbx.com/x", graph, hosts)
    assert not is_trusted_url("https://fbsbx.com.evil.net/x", graph, hosts)
    assert not is_trusted_url("http://127.0.0.1:10/x", "http://127.0.0.1:9", hosts)


def test_sha256_accepts_hex_and_base64() -> None:
    digest = hashlib.sha256(b"abc").digest()
    assert digest_from(digest.hex()) == digest
    assert digest_from(base64.b64encode(digest).decode()) == digest
    assert digest_from(base64.urlsafe_b64encode(digest).decode().rstrip("=")) == digest
    with pytest.raises(ValueError, match="sha256 must be"):
        digest_from("not-a-digest")


def test_extensions_come_from_the_mime_type_only() -> None:
    assert extension_for("audio/ogg; codecs=opus") == ".ogg"
    assert extension_for("image/jpeg") == ".jpg"
    assert extension_for("application/x-made-up") == ".bin"


# -- errors and secrets -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004])
def test_transient_codes_are_retryable(code: int) -> None:
    body = {"error": {"message": "x", "code": code}}
    assert classify(400, body).retryable


@pytest.mark.parametrize(
    "code", [0, 10, 100, 131008, 131009, 131026, 131047, 131051, 132000, 132001, 132015, 190,
             200, 299, 368, 131031, 131042, 131048, 131062],
)
def test_permanent_codes_are_not_retryable_even_on_http_500(code: int) -> None:
    error = classify(500, {"error": {"message": "x", "code": code, "error_subcode": 2494010}})
    assert isinstance(error, PermanentGraphError) and not error.retryable
    assert error.subcode == 2494010 and error.hint


def test_classify_without_a_graph_body_goes_by_status() -> None:
    assert isinstance(classify(429, None), RateLimited)
    assert isinstance(classify(502, "<html>Bad gateway</html>"), TransientGraphError)
    assert isinstance(classify(404, {"unexpected": True}), PermanentGraphError)
    assert isinstance(classify(503, {"error": {"code": 999999}}), TransientGraphError)


def test_retry_after_reads_seconds_and_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


async def test_the_token_never_appears_in_errors_or_logs(
    fake: FakeGraphAPI, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "EAAG-wrong-secret-token-987654321"
    wrong = make_client(access_token=secret)
    with pytest.raises(AuthError) as expired:
        await wrong.send_text(PNID, USER, "hello")
    client = make_client()
    fake.fail_next(1, status=500, code=1, message=f"Malformed access token {TOKEN}")
    fake.fail_next(1, status=400, code=190, message=f"Malformed access token {TOKEN}")
    with pytest.raises(AuthError) as echoed:
        await client.send_text(PNID, USER, "hello")
    fake.drop_next()
    with pytest.raises(OutcomeUnknown) as lost:
        await client.send_text(PNID, USER, "hello")

    assert "refresh" in str(expired.value)
    assert "[redacted]" in str(echoed.value)
    assert "retrying" in caplog.text
    texts = [str(expired.value), str(echoed.value), str(lost.value), echoed.value.details or "",
             caplog.text, repr(client), repr(wrong)]
    for text in texts:
        assert secret not in text and TOKEN not in text


def test_constructor_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="access_token is empty"):
        WhatsAppClient(access_token="")
    with pytest.raises(ValueError, match="graph_url"):
        WhatsAppClient(access_token="t", graph_url="graph.facebook.com")
    with pytest.raises(ValueError, match="api_version"):
        WhatsAppClient(access_token="t", api_version="23")
