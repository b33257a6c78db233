"""``botkit doctor``: diagnose common setup problems; ``doctor signature`` says why a webhook
signature fails (missing header, wrong secret, a body changed on the way); ``doctor store``
says whether the store keeps every event it acknowledges.

Its own module so that more checks can join the group without touching the other tools; the
diagnosis itself is :func:`botkit.webhook.signature_doctor.diagnose_signature`.
"""

from __future__ import annotations

import sys

import click

from botkit.cli._tool_settings import SECRET_ENV, configured_secrets, no_secret
from botkit.cli.common import EXIT_FAILED, config_option, fail, load_settings
from botkit.errors import StoreError
from botkit.webhook.signature_doctor import diagnose_signature


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
        fail(no_secret())
    suspects = [(f"--other-secret #{i}", s) for i, s in enumerate(others, 1)]
    ok, message = diagnose_signature(body_file.read(), header, accepted, suspects)
    click.echo(message)
    if not ok:
        sys.exit(1)


@doctor.command("store")
@config_option
def doctor_store(config_path: str | None) -> None:
    """Say whether the configured store can lose an event once it was acknowledged: on Redis
    its persistence (appendonly, appendfsync, maxmemory-policy, replicas); on SQLite its
    durability setting. Exit status 1 when something can be lost."""
    from botkit.store.durability import store_durability

    settings = load_settings(config_path, secrets=False)
    try:
        facts, warnings = store_durability(settings.store)
    except StoreError as exc:
        fail(exc)
    for fact in facts:
        click.echo(fact)
    for warning in warnings:
        click.echo(f"warning: {warning}")
    if warnings:
        sys.exit(EXIT_FAILED)
    click.echo("ok: an acknowledged event survives a crash and a power cut")
