"""``botkit send-test``: post correctly signed sample webhooks to a running bot, the local twin of
the test button in Meta's dashboard, once or as a load drill (repeats, batches, redeliveries).

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
from botkit.testing.payloads import SAMPLES, sample, webhook, wire_bytes
from botkit.testing.signing import signed_headers

PROGRESS_FROM = 10  # posts; shorter runs finish before a bar would help


@dataclass
class SendReport:
    """What the webhook answered to each POST of a drill."""

    url: str
    posts: int = 0
    items: int = 0
    statuses: Counter = field(default_factory=Counter)
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
def send_test(config_path: str | None, url: str | None, kind: str, body_file: Path | None,
              secret: str | None, repeat: int, duplicate: bool, batch: int, concurrency: int,
              timeout: float, insecure: bool, as_json: bool) -> None:
    """Post correctly signed sample webhooks to a running bot, like the test button in Meta's
    dashboard; exits 1 when any answer was not 200."""
    if body_file is not None and batch > 1:
        raise click.UsageError("--batch builds samples; it cannot be used with --file")
    if url is not None and not re.match(r"^https?://", url):
        raise click.BadParameter(f"expected an http:// or https:// URL, got {url!r}",
                                 param_hint="--url")
    if not secret:
        found = configured_secrets(config_path)
        secret = found[0][1] if found else fail(no_secret())
    url = url or settings_url(config_path)
    fixed = body_file.read_bytes() if body_file is not None else None
    bodies = (fixed if fixed is not None else
              wire_bytes(webhook(*(sample(kind) for _ in range(batch))))
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
    if not report.ok:
        sys.exit(1)
