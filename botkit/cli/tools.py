"""Tools for people building and running bots: ``botkit send-test`` (signed sample webhooks, the
local twin of the dashboard's test button), ``botkit doctor signature`` (why a signature fails)
and ``botkit new plugin|bot`` (project templates). :func:`register_tool_commands` adds them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from botkit.cli.common import config_option, fail, load_settings
from botkit.errors import SettingsError
from botkit.testing.payloads import SAMPLES, sample, webhook, wire_bytes
from botkit.testing.signing import signed_headers
from botkit.webhook.signature_doctor import diagnose_signature

SECRET_ENV = "WHATSAPP_APP_SECRET"
DEFAULT_URL = "http://127.0.0.1:8000/webhook"
PROGRESS_FROM = 10  # posts; shorter runs finish before a bar would help


def register_tool_commands(cli: click.Group) -> None:
    """Add ``send-test``, ``doctor`` and ``new`` to the ``botkit`` command group."""
    cli.add_command(send_test)
    cli.add_command(doctor)
    cli.add_command(new)


# -- secrets and URL from the settings ------------------------------------------------------


def configured_secrets(config_path: str | None) -> list[tuple[str, str]]:
    """(label, secret) of the app secrets the server uses: from the settings file when one is
    given (``--config`` or ``$BOTKIT_CONFIG``), else ``$WHATSAPP_APP_SECRET``. Labels never
    contain the secret."""
    if config_path:
        settings = load_settings(config_path)
        secrets = settings.whatsapp.app_secrets
        if len(secrets) == 1:
            return [(f"whatsapp.app_secret of {settings.source}", secrets[0])]
        return [(f"whatsapp.app_secrets[{i}] of {settings.source}", s)
                for i, s in enumerate(secrets)]
    value = os.environ.get(SECRET_ENV, "")
    return [(f"${SECRET_ENV}", value)] if value else []


def _no_secret() -> SettingsError:
    return SettingsError([f"no app secret: pass --secret, set {SECRET_ENV}, or give the "
                          "settings file with --config"])


def settings_url(config_path: str | None) -> str:
    """The webhook URL of the server the settings describe (wildcard binds become loopback)."""
    if not config_path:
        return DEFAULT_URL
    server = load_settings(config_path, secrets=False).server
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(server.host, server.host)
    host = f"[{host}]" if ":" in host else host
    scheme = "https" if server.certfile else "http"
    return f"{scheme}://{host}:{server.port}{server.path}"


# -- send-test ------------------------------------------------------------------------------


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
        secret = found[0][1] if found else fail(_no_secret())
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


# -- doctor signature ---------------------------------------------------------------------

@click.group()
def doctor() -> None:
    """Diagnose common setup problems."""


@doctor.command("signature")
@config_option
@click.option("--body", "body_file", type=click.File("rb"), required=True,
              help="The request body exactly as received ('-' reads standard input).")
@click.option("--header", default="",
              help="The X-Hub-Signature-256 value (sha256=...) or the whole header line; "
                   "empty or absent means the header was missing.")
@click.option("--secret", "secrets", multiple=True,
              help=f"An app secret the server accepts (repeatable). Default: the settings' app "
                   f"secrets, else ${SECRET_ENV}.")
@click.option("--other-secret", "others", multiple=True,
              help="A secret the body may have been signed with by mistake: another app's, an "
                   "old one (repeatable).")
def doctor_signature(config_path: str | None, body_file, header: str, secrets: tuple[str, ...],
                     others: tuple[str, ...]) -> None:
    """Say why a webhook signature fails: header missing or malformed, wrong secret, body
    re-serialised or re-encoded on the way, non-ASCII escaping changed, newline changes."""
    accepted = ([(f"--secret #{i}", s) for i, s in enumerate(secrets, 1)] if secrets
                else configured_secrets(config_path))
    if not accepted:
        fail(_no_secret())
    suspects = [(f"--other-secret #{i}", s) for i, s in enumerate(others, 1)]
    ok, message = diagnose_signature(body_file.read(), header, accepted, suspects)
    click.echo(message)
    if not ok:
        sys.exit(1)


# -- new plugin | bot ---------------------------------------------------------------------

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
TEMPLATES = {"plugin": "cookiecutter-botkit-plugin", "bot": "cookiecutter-botkit-bot"}


def template_dir(kind: str) -> Path | None:
    """botkit's template for ``kind``: shipped in the package, else in a source checkout."""
    from importlib import resources

    shipped = resources.files("botkit") / "templates" / TEMPLATES[kind]
    if shipped.is_dir():
        return Path(str(shipped))
    checkout = Path(__file__).resolve().parents[1] / "examples" / TEMPLATES[kind]
    return checkout if checkout.is_dir() else None


def render_template(kind: str, name: str, *, output_dir: Path, no_input: bool,
                    template: str | None = None, extra: dict[str, str] | None = None) -> Path:
    """Run the cookiecutter template for a ``plugin`` or a ``bot`` named ``name``."""
    if not NAME.fullmatch(name):
        raise SettingsError([f"{kind} name {name!r}: use lower-case letters, digits and single "
                             "hyphens, starting with a letter (like order-status)"])
    try:
        from cookiecutter.exceptions import CookiecutterException
        from cookiecutter.main import cookiecutter
    except ImportError:
        raise SettingsError(["botkit new needs cookiecutter: pip install cookiecutter"]) from None
    source = template or template_dir(kind)
    if source is None:
        raise SettingsError([f"the {kind} template is not part of this botkit installation: "
                             f"pass --template with a copy of examples/{TEMPLATES[kind]}"])
    context = {f"{kind}_name": name, **(extra or {})}
    try:
        created = cookiecutter(str(source), no_input=no_input, extra_context=context,
                               output_dir=str(output_dir))
    except CookiecutterException as exc:
        raise SettingsError([f"cookiecutter: {exc}"]) from None
    return Path(created)


def _extra_context(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint="--set")
        pairs[key.strip()] = item.strip()
    return pairs


def _new_command(kind: str, short: str, summary: str) -> click.Command:
    @click.command(kind, short_help=short, help=f"{short} {summary}")
    @click.argument("name")
    @click.option("--no-input", is_flag=True, help="Do not ask; use the defaults and --set.")
    @click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
                  default=Path("."), show_default=True, help="Where to create the project.")
    @click.option("--set", "values", multiple=True, metavar="KEY=VALUE",
                  help="A template variable (repeatable), e.g. --set author='Ana Souza'.")
    @click.option("--template", help="Another copy of the template (a folder or a git URL).")
    def command(name: str, no_input: bool, output_dir: Path, values: tuple[str, ...],
                template: str | None) -> None:
        try:
            created = render_template(kind, name, output_dir=output_dir, no_input=no_input,
                                      template=template, extra=_extra_context(values))
        except SettingsError as exc:
            fail(exc)
        click.echo(f"created {created}")
        click.echo(f"next: cd {created} && pip install -e . && pytest  (see its README.md)")

    return command


@click.group()
def new() -> None:
    """Start a plugin package or a bot project from botkit's templates (cookiecutter)."""


new.add_command(_new_command("plugin", "Create a plugin package botkit-NAME.",
                             "Entry point NAME, settings schema, a hook, README, conversation "
                             "tests and a CI workflow."))
new.add_command(_new_command("bot", "Create a bot project NAME.",
                             "botkit.toml with the bundled plugins you choose, a plugin of its "
                             "own, .env.example, README and tests."))
