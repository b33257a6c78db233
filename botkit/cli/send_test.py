"""``botkit send-test``: post correctly signed webhooks to a running bot, the local twin of the
test button in Meta's dashboard: a customer's own words (``--text``, ``--button``, ``--from``),
a named sample, or a load drill (repeats, batches, redeliveries).

Its own module because the drill (concurrent posting, the report of answers) is most of the
tools' code and has nothing in common with the other tools but the settings lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from botkit.cli._tool_settings import (
    DEFAULT_URL,
    SECRET_ENV,
    configured_secrets,
    no_secret,
    settings_url,
)
from botkit.cli.common import config_option, fail
from botkit.testing.payloads import (
    CUSTOMER_NAME,
    CUSTOMER_WA_ID,
    SAMPLES,
    Body,
    button_reply_message,
    sample,
    text_message,
    webhook,
    wire_bytes,
)
from botkit.testing.signing import signed_headers

PROGRESS_FROM = 10  # posts; shorter runs finish before a bar would help
USER_ID = re.compile(r"^[A-Z]{2}\.[0-9A-Za-z]+$")  # a business-scoped user id, like US.1349...


@dataclass(frozen=True)
class Customer:
    """Who a built message comes from: a wa_id (phone digits) or a business-scoped user id."""

    wa_id: str | None
    user_id: str | None = None
    name: str | None = CUSTOMER_NAME

    @classmethod
    def parse(cls, value: str, name: str | None) -> Customer:
        """``+1 555-765-4321``, ``15557654321`` or ``US.1349...``; BadParameter otherwise."""
        digits = re.sub(r"[\s()+.-]", "", value)
        if digits.isdigit() and 6 <= len(digits) <= 15:
            return cls(digits, None, name)
        if USER_ID.fullmatch(value.strip()):
            return cls(None, value.strip(), name)
        raise click.BadParameter(f"expected a WhatsApp number (6 to 15 digits, like "
                                 f"+1 555 765 4321) or a user id (US.1349...), got {value!r}",
                                 param_hint="--from")

    def speaks(self, body: Body) -> Body:
        """``body`` (a built sample) as sent by this customer: every message's sender and
        contact, every status's recipient."""
        for entry in body.get("entry", []):
            for change in entry.get("changes", []):
                value = change.get("value", {})
                for item in value.get("messages", []):
                    self._identify(item, "from", "from_user_id")
                for contact in value.get("contacts", []):
                    self._identify(contact, "wa_id", "user_id")
                    if self.name is not None:
                        contact.setdefault("profile", {})["name"] = self.name
                for item in value.get("statuses", []):
                    self._identify(item, "recipient_id", "recipient_user_id")
        return body

    def _identify(self, item: dict[str, Any], number_key: str, user_key: str) -> None:
        item.pop(number_key, None)
        item.pop(user_key, None)
        if self.wa_id:
            item[number_key] = self.wa_id
        else:
            item[user_key] = self.user_id

    def options(self) -> dict[str, Any]:
        """The payload builders' options for a message from this customer."""
        return {"sender": self.wa_id, "user_id": self.user_id, "name": self.name}


def split_button(value: str) -> tuple[str, str]:
    """``ID:TITLE`` split at the last colon (ids of typed buttons contain colons); a value
    without a colon is both the id and the title."""
    button_id, sep, title = value.rpartition(":")
    if not sep:
        return value, value
    if not button_id or not title:
        raise click.BadParameter(f"expected ID:TITLE, got {value!r}", param_hint="--button")
    return button_id, title


def message_builder(kind: str, text: str | None, button: str | None,
                    customer: Customer | None) -> Callable[[], Body]:
    """What each POST carries: the customer's text or tap, else a fresh sample of ``kind``."""
    options: dict[str, Any] = {} if customer is None else customer.options()
    if text is not None:
        return lambda: text_message(text, **options)
    if button is not None:
        button_id, title = split_button(button)
        return lambda: button_reply_message(button_id, title, **options)
    if customer is None:
        return lambda: sample(kind)
    return lambda: customer.speaks(sample(kind))


@dataclass
class SendReport:
    """What the webhook answered to each POST of a drill."""

    url: str
    posts: int = 0
    items: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    first_answers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def record(self, outcome: str, answer: str) -> None:
        self.posts += 1
        self.statuses[outcome] += 1
        self.first_answers.setdefault(outcome, answer[:200])

    @property
    def ok(self) -> bool:
        return set(self.statuses) <= {"200"}

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "posts": self.posts, "items": self.items,
                "statuses": dict(sorted(self.statuses.items())), "seconds": round(self.seconds, 3),
                "answers": {k: v for k, v in self.first_answers.items() if k != "200"}}


def count_items(body: Any) -> int:
    """Updates in a POST body, as botkit splits them (a malformed body counts as one)."""
    try:
        changes = [c for e in body["entry"] for c in e["changes"]]
        return sum(sum(len(c["value"].get(k, ())) for k in ("messages", "statuses", "errors"))
                   if c["field"] == "messages" else 1 for c in changes) or 1
    except (KeyError, TypeError, AttributeError):
        return 1


async def post_all(url: str, bodies: Iterator[bytes], secret: str, *, copies: int,
                   concurrency: int, timeout: float, verify: bool = True,
                   progress: Callable[[int], None] = lambda n: None) -> SendReport:
    """POST every body (each ``copies`` times in a row), signed, ``concurrency`` at a time."""
    import httpx

    report = SendReport(url)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=timeout, verify=verify) as client:

        async def worker() -> None:
            for body in bodies:  # a shared iterator: each body goes to one worker
                report.items += count_items(_json_or_none(body)) * copies
                for _ in range(copies):
                    try:
                        answer = await client.post(url, content=body,
                                                   headers=signed_headers(body, secret))
                        report.record(str(answer.status_code), answer.text.strip())
                    except httpx.HTTPError as exc:
                        report.record(f"error ({type(exc).__name__})", str(exc))
                    progress(1)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    report.seconds = time.perf_counter() - started
    return report


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _print_report(report: SendReport, copies: int) -> None:
    twice = ", each twice" if copies == 2 else ""
    click.echo(f"sent {report.posts} POST(s) ({report.items} items{twice}) to {report.url} "
               f"in {report.seconds:.2f} s")
    for outcome, count in sorted(report.statuses.items()):
        answer = report.first_answers.get(outcome, "") if outcome != "200" else ""
        click.echo(f"  {outcome}: {count}" + (f"  (first answer: {answer})" if answer else ""))


@click.command("send-test")
@config_option
@click.option("--url", help=f"Webhook URL. Default: from the settings' [server] table, else "
                            f"{DEFAULT_URL}.")
@click.option("--kind", type=click.Choice(list(SAMPLES)), default="text", show_default=True,
              metavar="KIND", help="Sample to build: a message type (text, image, "
              "button_reply, ...), status_<status>, error, or a webhook field name. Choices: "
              + ", ".join(SAMPLES) + ".")
@click.option("--text", help="Post a text message saying TEXT, as a customer would.")
@click.option("--button", metavar="ID:TITLE",
              help="Post a tap on the reply button ID titled TITLE (split at the last colon).")
@click.option("--from", "sender", metavar="WA_ID",
              help="The customer's WhatsApp number (or user id). Default: the sample "
                   "customer, 15557654321.")
@click.option("--name", help="The customer's profile name. Default: Priya Raman.")
@click.option("--file", "body_file", type=click.Path(exists=True, dir_okay=False,
                                                     path_type=Path),
              help="Post this file's exact bytes instead of a built sample.")
@click.option("--secret", help=f"App secret to sign with. Default: the settings' first app "
                               f"secret, else ${SECRET_ENV}.")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="POSTs to send (built samples get fresh ids each time).")
@click.option("--duplicate", is_flag=True,
              help="Send every POST twice, as a redelivery: the copy must be acknowledged "
                   "and not dispatched again.")
@click.option("--batch", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="Updates per POST (Meta batches up to 1000).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=1, show_default=True,
              help="POSTs in flight at once.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="Seconds to wait for each answer.")
@click.option("--insecure", is_flag=True,
              help="Do not check the server's TLS certificate (a self-signed local one).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def send_test(config_path: str | None, url: str | None, kind: str, text: str | None,
              button: str | None, sender: str | None, name: str | None,
              body_file: Path | None, secret: str | None, repeat: int, duplicate: bool,
              batch: int, concurrency: int, timeout: float, insecure: bool,
              as_json: bool) -> None:
    """Post correctly signed webhooks to a running bot, like a customer writing (--text,
    --button) or the test button in Meta's dashboard (--kind); exits 1 when any answer was
    not 200."""
    if body_file is not None and batch > 1:
        raise click.UsageError("--batch builds samples; it cannot be used with --file")
    if body_file is not None and (text, button, sender, name) != (None,) * 4:
        raise click.UsageError("--file posts a body as it is; --text, --button, --from and "
                               "--name build one")
    if text is not None and button is not None:
        raise click.UsageError("a message is a --text or a --button tap, not both")
    if text is not None and not text.strip():
        raise click.BadParameter("the text is empty; WhatsApp sends no empty messages",
                                 param_hint="--text")
    customer = None
    if sender is not None or name is not None:
        customer = Customer.parse(sender or CUSTOMER_WA_ID,
                                  CUSTOMER_NAME if name is None else name)
    build = message_builder(kind, text, button, customer)
    if url is not None and not re.match(r"^https?://", url):
        raise click.BadParameter(f"expected an http:// or https:// URL, got {url!r}",
                                 param_hint="--url")
    if not secret:
        found = configured_secrets(config_path)
        secret = found[0][1] if found else fail(no_secret())
    url = url or settings_url(config_path)
    fixed = body_file.read_bytes() if body_file is not None else None
    bodies = (fixed if fixed is not None else
              wire_bytes(webhook(*(build() for _ in range(batch))))
              for _ in range(repeat))
    copies = 2 if duplicate else 1
    total = repeat * copies
    bar = (click.progressbar(length=total, label="posting", file=sys.stderr)
           if total >= PROGRESS_FROM else contextlib.nullcontext())
    with bar as shown:
        report = asyncio.run(post_all(
            url, bodies, secret, copies=copies, concurrency=concurrency, timeout=timeout,
            verify=not insecure, progress=shown.update if shown is not None else lambda n: None))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print_report(report, copies)
        if report.ok and (text is not None or button is not None):
            click.echo("the bot answers through its Graph API ([whatsapp] graph_url): "
                       "botkit fake-graph or botkit dev --fake-graph prints the answers")
    if not report.ok:
        sys.exit(1)
