"""``botkit templates``: the local cache of the account's message templates, and Meta's
template management API.

``sync`` reads every page of ``GET /{waba_id}/message_templates`` into the cache beside the
event log (the store of the settings); ``list`` and ``show`` read the cache; ``create`` checks
a definition locally, then creates it; ``delete`` deletes on Meta's side and in the cache.
Exit status: 0 done, 1 a check or a remote call failed or the template is unknown, 2 a usage,
settings or store problem. The access token is never printed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from botkit.cli.common import (
    EXIT_FAILED,
    access_token_option,
    config_option,
    fail,
    json_option,
    known_number,
    load_settings,
    not_found,
    number_option,
    print_json,
    waba_id_option,
)
from botkit.cli.common import access_token as access_token_of
from botkit.cli.common import waba_id as waba_id_of
from botkit.errors import BotkitError, StoreError
from botkit.message_templates.backends import open_template_cache_admin
from botkit.message_templates.cache import TemplateCache
from botkit.message_templates.errors import TemplateDefinitionInvalid, UnknownTemplate
from botkit.message_templates.graph import (
    PAGE_SIZE,
    create_template,
    delete_template,
    fetch_templates,
)
from botkit.message_templates.records import CachedTemplate
from botkit.settings import Settings

T = TypeVar("T")

@click.group("templates")
def templates() -> None:
    """Message templates: the local cache that sends are checked against, and Meta's API."""


def register_templates_command(cli: click.Group) -> None:
    """Add ``templates`` to the ``botkit`` command group."""
    cli.add_command(templates)


def _run(settings: Settings, work: Callable[[TemplateCache], Awaitable[T]], *,
         create: bool = False) -> T:
    """Run ``work`` with the cache open; errors become one line and an exit status."""

    async def run() -> T:
        cache, close = await open_template_cache_admin(settings.store, create=create)
        try:
            return await work(cache)
        finally:
            await close()

    try:
        return asyncio.run(run())
    except TemplateDefinitionInvalid as exc:
        click.echo(f"error: the template definition has {len(exc.problems)} problem(s); "
                   "nothing was sent:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(EXIT_FAILED) from None
    except StoreError as exc:
        fail(exc)
    except ValueError as exc:
        fail(str(exc))
    except BotkitError as exc:  # Graph errors and template errors: the call was refused
        fail(exc, EXIT_FAILED)


def _client(settings: Settings, token: str) -> Any:
    from botkit.whatsapp.client import WhatsAppClient

    wa = settings.whatsapp
    return WhatsAppClient(access_token=token, graph_url=wa.graph_url,
                          api_version=wa.api_version, timeout=max(wa.timeout, 30.0))


@templates.command()
@config_option
@access_token_option
@waba_id_option
@number_option
@click.option("--page-size", type=click.IntRange(1, 1000), default=PAGE_SIZE, show_default=True,
              help="Templates asked for per page.")
def sync(config_path: str | None, access_token: str | None, waba_id: str | None,
         number: str | None, page_size: int) -> None:
    """Read every template of the account from Meta into the local cache."""
    settings = load_settings(config_path, secrets=False)
    waba = waba_id_of(settings, waba_id, number)
    token = access_token_of(settings, access_token, number)

    async def work(cache: TemplateCache) -> tuple[int, int]:
        async with _client(settings, token) as client:
            items = await fetch_templates(client, waba, page_size=page_size)
        now = _now()
        found = [CachedTemplate.from_graph(waba, item, now) for item in items]
        return await cache.replace_account(waba, found, now)

    kept, removed = _run(settings, work, create=True)
    gone = f", {removed} no longer there removed" if removed else ""
    click.echo(f"synced {kept} template(s) of WhatsApp Business Account {waba}{gone}")


@templates.command("list")
@config_option
@waba_id_option
@number_option
@json_option
def list_templates(config_path: str | None, waba_id: str | None, number: str | None,
                   as_json: bool) -> None:
    """List the cached templates: name, language, status, category, quality."""
    settings = load_settings(config_path, secrets=False)
    waba = waba_id or settings.waba_for(known_number(settings, number))
    found: list[CachedTemplate] = _run(settings, lambda cache: cache.all(waba))
    if as_json:
        print_json([asdict(t) for t in found])
        return
    if not found:
        where = f" of WhatsApp Business Account {waba}" if waba else ""
        click.echo(f"no templates cached{where}; run `botkit templates sync`")
    for t in found:
        partial = "  (partly known: sync)" if not t.complete else ""
        click.echo(f"{t.name:<32} {t.language:<7} {t.status:<10} {t.category or '?':<15} "
                   f"{t.quality or '-'}{partial}")


@templates.command()
@config_option
@waba_id_option
@number_option
@json_option
@click.option("--language", help="Only this language (e.g. en_US).")
@click.argument("name")
def show(config_path: str | None, waba_id: str | None, number: str | None, as_json: bool,
         language: str | None, name: str) -> None:
    """Show a cached template: status, quality, category, and what a send must give."""
    settings = load_settings(config_path, secrets=False)
    waba = waba_id_of(settings, waba_id, number)
    rows: list[CachedTemplate] = _run(settings, lambda cache: cache.named(waba, name))
    if not rows:
        not_found(f"template {name!r} is not cached for WhatsApp Business Account {waba}; "
                  "run `botkit templates sync`")
    chosen = [row for row in rows if language in (None, row.language)]
    if not chosen:
        not_found(f"template {name!r} has no {language!r} version; it has "
                  f"{', '.join(row.language for row in rows)}")
    if as_json:
        print_json([asdict(t) for t in chosen])
        return
    for index, template in enumerate(chosen):
        if index:
            click.echo("")
        _describe(template)


def _describe(t: CachedTemplate) -> None:
    from botkit.message_templates.describe import describe

    for line in describe(t):
        click.echo(line)


@templates.command()
@config_option
@access_token_option
@waba_id_option
@number_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def create(config_path: str | None, access_token: str | None, waba_id: str | None,
           number: str | None, file: Path) -> None:
    """Create the template defined in FILE (JSON, checked locally first)."""
    settings = load_settings(config_path, secrets=False)
    waba = waba_id_of(settings, waba_id, number)
    token = access_token_of(settings, access_token, number)
    document = _read_json(file)

    async def work(cache: TemplateCache) -> CachedTemplate:
        async with _client(settings, token) as client:
            answer = await create_template(client, waba, document)
        created = CachedTemplate.from_graph(waba, {**document, **answer}, _now())
        await cache.put(created)
        return created

    created = _run(settings, work, create=True)
    click.echo(f"created template {created.name} ({created.language}): id {created.id}, "
               f"status {created.status}, category {created.category}")


@templates.command()
@config_option
@access_token_option
@waba_id_option
@number_option
@click.option("--language", help="Delete only this language (its id is read from the cache).")
@click.argument("name")
def delete(config_path: str | None, access_token: str | None, waba_id: str | None,
           number: str | None, language: str | None, name: str) -> None:
    """Delete a template: every language, or one with --language."""
    settings = load_settings(config_path, secrets=False)
    waba = waba_id_of(settings, waba_id, number)
    token = access_token_of(settings, access_token, number)

    async def work(cache: TemplateCache) -> None:
        template_id = None
        if language is not None:
            rows = [row for row in await cache.named(waba, name) if row.language == language]
            if not rows or rows[0].id is None:
                raise UnknownTemplate(f"template {name!r} ({language}) is not cached with its "
                                      "id; run `botkit templates sync` first",
                                      name=name, waba_id=waba)
            template_id = rows[0].id
        async with _client(settings, token) as client:
            await delete_template(client, waba, name, template_id)
        await cache.remove(waba, name, language)

    _run(settings, work, create=True)
    click.echo(f"deleted template {name} ({language or 'every language'})")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{path}: not valid JSON: {exc}", EXIT_FAILED)


def _now() -> float:
    import time

    return time.time()
