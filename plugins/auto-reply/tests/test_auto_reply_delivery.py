"""One reply per inbound message: Graph API failures are retried or dead-lettered as Meta's
error codes say, and redeliveries and retries never send a second reply."""

from __future__ import annotations

from botkit import hookimpl

PNID = "109862385428321"
TABLE = {"default_reply": "Thanks, {name}!", "mark_read": False}


def send_requests(fake_graph) -> list:
    """Message sends the fake received, failed ones included (read receipts excluded)."""
    return [r for r in fake_graph.requests
            if r.path.endswith("/messages") and r.json and "type" in r.json]


class DeadLetters:
    """Records every delivery that was given up on."""

    def __init__(self) -> None:
        self.dead: list[tuple[str, str, str]] = []

    @hookimpl
    def delivery_failed(self, event, plugin, error) -> None:
        self.dead.append((event.key, plugin, str(error)))


class Flaky:
    """A plugin whose message_received fails a number of times before it succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: list[int] = []

    @hookimpl
    def message_received(self, message) -> None:
        self.attempts.append(message.attempt)
        if len(self.attempts) <= self.failures:
            raise ConnectionError("the other system is down")


TRANSIENT = [
    (2, 429, None),     # HTTP 429 without a Graph body
    (2, 400, 130429),   # the throughput limit, which Meta sends as HTTP 400
    (1, 503, None),     # a proxy's bare 503
    (1, 500, 131000),   # Meta's "something went wrong"
]


async def test_transient_send_failures_are_retried(start_auto_reply, fake_graph, payloads):
    bot = await start_auto_reply(TABLE)
    for n, (failures, status, code) in enumerate(TRANSIENT, start=1):
        fake_graph.reset()
        fake_graph.fail_next(failures, status=status, code=code, retry_after=0)
        await bot.post(payloads.text("hello", n))
        await bot.settle()
        [sent] = fake_graph.sent_messages(PNID)
        assert sent["text"]["body"] == "Thanks, Priya Raman!"
        assert len(send_requests(fake_graph)) == failures + 1, (status, code)


async def test_permanent_send_failure_is_dead_lettered_after_one_request(
        start_auto_reply, fake_graph, payloads):
    fake_graph.fail_next(1, status=400, code=131047)  # the 24-hour window is closed
    failures = DeadLetters()
    bot = await start_auto_reply(TABLE, enabled_plugins=["auto-reply", "dead"],
                                 extra_plugins={"dead": failures}, dispatch={"max_attempts": 3})
    await bot.post(payloads.text("hello", 1))
    await bot.settle()
    assert len(send_requests(fake_graph)) == 1
    assert fake_graph.sent_messages(PNID) == []
    [(key, plugin, error)] = failures.dead
    assert key == "message:wamid.TEST0001" and plugin == "botkit.reply" and "131047" in error


async def test_a_reply_that_keeps_failing_is_retried_by_botkit_and_sent_once(
        start_auto_reply, fake_graph, payloads):
    # The Cloud API client gives up after 5 attempts; botkit then retries the reply itself.
    fake_graph.fail_next(6, status=503, retry_after=0)
    bot = await start_auto_reply(TABLE, dispatch={"max_attempts": 3})
    await bot.post(payloads.text("hello", 1))
    await bot.settle()
    assert len(send_requests(fake_graph)) == 7
    assert len(fake_graph.sent_messages(PNID)) == 1


async def test_redelivered_message_gets_one_reply(start_auto_reply, fake_graph, payloads):
    bot = await start_auto_reply(TABLE)
    message = payloads.text("hello", 1)
    for _ in range(3):  # Meta retries, or several subscribed apps
        assert (await bot.post(message)).status_code == 200
    await bot.settle()
    assert len(fake_graph.sent_messages(PNID)) == 1


async def test_retrying_another_plugin_sends_no_second_reply(start_auto_reply, fake_graph,
                                                              payloads):
    flaky = Flaky(failures=2)
    bot = await start_auto_reply(TABLE, enabled_plugins=["auto-reply", "flaky"],
                                 extra_plugins={"flaky": flaky}, dispatch={"max_attempts": 3})
    await bot.post(payloads.text("hello", 1))
    await bot.settle()
    assert flaky.attempts == [1, 2, 3]
    assert len(fake_graph.sent_messages(PNID)) == 1
