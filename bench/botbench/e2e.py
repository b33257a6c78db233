"""End to end: an inbound text reaches botkit, the auto-reply plugin answers, the reply arrives
at a fake Graph API. The figure is the time from sending the webhook to seeing the reply.

Needs two parts of botkit that may not exist yet: the ``auto-reply`` plugin (entry point in
group ``botkit``) and ``botkit.testing.fake_graph.FakeGraphAPI``. Without them the scenario is
skipped with a note instead of failing the run.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import time
from typing import Any

from botbench.launch import running
from botbench.measurement import PENDING, Measurement, skipped
from botbench.payloads import business_scoped_id, load_text_template, sender, text_message_body
from botbench.pools import http_post, signature_header
from botbench.scenarios import Scenario, Settings, post_once, settle
from botbench.stats import percentile
from botbench.targets import BotkitOptions

AUTO_REPLY = "auto-reply"
REPLY_TEXT = "hi"
MESSAGES = 100
RATE = 20.0
REPLY_TIMEOUT_S = 20.0


def missing_parts() -> list[str]:
    """What botkit still lacks for this scenario (empty when it can run)."""
    missing = []
    names = {entry.name for entry in importlib.metadata.entry_points(group="botkit")}
    if AUTO_REPLY not in names:
        missing.append(f"the {AUTO_REPLY!r} plugin (entry point in group 'botkit')")
    try:
        found = importlib.util.find_spec("botkit.testing.fake_graph") is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        missing.append("botkit.testing.fake_graph")
    return missing


def measure_end_to_end(settings: Settings, scenario: Scenario, target: str) -> Measurement:
    """Send ``MESSAGES`` texts from distinct senders at ``RATE``/s; time each one's reply."""
    missing = missing_parts()
    if missing:
        note = "skipped: botkit does not provide " + " and ".join(missing) + " yet"
        print(f"end-to-end: {note}")
        return skipped(target, scenario.name, PENDING, note)
    return asyncio.run(_end_to_end(settings, scenario))


async def _end_to_end(settings: Settings, scenario: Scenario) -> Measurement:
    fake_graph_module = importlib.import_module("botkit.testing.fake_graph")
    fake = fake_graph_module.FakeGraphAPI()
    await _maybe_await(await asyncio.to_thread(fake.start))
    try:
        options = BotkitOptions(
            plugins=(AUTO_REPLY,),
            plugin_settings=((AUTO_REPLY, (("default_reply", REPLY_TEXT),)),),
            graph_url=str(fake.url),
        )
        log_path = settings.logs_dir / f"{scenario.name}-botkit.log"
        # Fresh timestamps: botkit answers free-form only within the customer's 24-hour window
        # (the pools' fixed timestamps are months old).
        template = load_text_template()
        bodies = [text_message_body(serial, template, timestamp=int(time.time()))
                  for serial in range(MESSAGES)]
        requests = [http_post(body, signature_header(body, settings.secrets.app_secret))
                    for body in bodies]
        with running("botkit", settings.server, settings.secrets, log_path, options) as live:
            before = live.server.usage()
            (sent_at, statuses), replied_at = await asyncio.gather(
                _send_at_rate(live.server.port, requests),
                _collect_replies(fake, set(range(len(requests)))),
            )
            replied_at.update(_recorded_reply_times(fake, set(replied_at)))
            after = settle(live.server)
    finally:
        await _maybe_await(await asyncio.to_thread(fake.stop))
    latencies = sorted(
        (replied_at[serial] - sent_at[serial]) * 1000 for serial in sent_at if serial in replied_at
    )
    measurement = Measurement(
        target="botkit",
        scenario=scenario.name,
        requests=len(requests),
        requests_per_s=RATE,
        events_per_request=1.0,
        events_per_s=RATE,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        p999_ms=percentile(latencies, 99.9),
        cpu_us_per_request=(after.cpu_seconds - before.cpu_seconds) / len(requests) * 1e6,
        peak_rss_mb=after.peak_rss_bytes / 2**20,
        non200=sum(status != 200 for status in statuses),
        body_bytes=sum(map(len, bodies)) // len(bodies),
        extra={"replies_seen": len(latencies), "messages_sent": len(requests)},
    )
    if len(latencies) < len(requests):
        measurement.note = f"only {len(latencies)} of {len(requests)} replies seen"
    return measurement


async def _send_at_rate(port: int, requests: list[bytes]) -> tuple[dict[int, float], list[int]]:
    """Messages ``0..n-1`` have distinct senders, so a reply's recipient names its message."""
    sent_at: dict[int, float] = {}
    statuses: list[int] = []
    start = time.monotonic()
    for serial, request in enumerate(requests):
        delay = start + serial / RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sent_at[serial] = time.time()
        status, _ = await asyncio.to_thread(post_once, port, request)
        statuses.append(status)
    return sent_at, statuses


def _recipients(serials: set[int]) -> dict[str, int]:
    """Both ids a reply may be addressed to (wa_id or BSUID), mapped to their message."""
    by_recipient: dict[str, int] = {}
    for serial in serials:
        wa_id, _ = sender(serial)
        by_recipient[wa_id] = serial
        by_recipient[business_scoped_id(wa_id)] = serial
    return by_recipient


def _recorded_reply_times(fake: Any, serials: set[int]) -> dict[int, float]:
    """Arrival times the fake itself recorded (``requests[].time``), finer than polling."""
    by_recipient = _recipients(serials)
    arrived: dict[int, float] = {}
    for request in list(getattr(fake, "requests", [])):
        serial = by_recipient.get(_recipient(getattr(request, "json", None)) or "")
        when = getattr(request, "time", None)
        if serial is not None and isinstance(when, float):
            arrived[serial] = min(when, arrived.get(serial, when))
    return arrived


async def _collect_replies(fake: Any, serials: set[int]) -> dict[int, float]:
    """Poll the fake Graph API until every message has its reply or the timeout passes."""
    by_recipient = _recipients(serials)
    replied_at: dict[int, float] = {}
    deadline = time.monotonic() + len(serials) / RATE + REPLY_TIMEOUT_S
    while len(replied_at) < len(serials) and time.monotonic() < deadline:
        now = time.time()
        for item in await _maybe_await(fake.sent_messages()):
            serial = by_recipient.get(_recipient(item) or "")
            if serial is not None and serial not in replied_at:
                replied_at[serial] = now
        await asyncio.sleep(0.002)
    return replied_at


def _recipient(item: Any) -> str | None:
    """The ``to`` of a recorded send, whether recorded as the JSON body or around it."""
    if isinstance(item, (bytes, str)):
        try:
            item = json.loads(item)
        except ValueError:
            return None
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("to"), str):
        return item["to"]
    for key in ("json", "body", "payload", "data"):
        if key in item:
            found = _recipient(item[key])
            if found:
                return found
    return None


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
