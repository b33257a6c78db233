"""``botkit meta-networks``, ``botkit subscribe`` and ``botkit subscriptions``: the commands that
set up the Meta side of a deployment. Failures print one clear message and exit with status 1
(2 for invalid settings, like the other commands); tokens are never printed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import click

from botkit.cli.common import EXIT_FAILED, config_option, fail, load_settings
from botkit.errors import BotkitError
from botkit.settings import Settings

if TYPE_CHECKING:
    from botkit.whatsapp.client import WhatsAppClient
    from botkit.whatsapp.subscriptions import Credential

T = TypeVar("T")

_app_id_option = click.option("--app-id", envvar="META_APP_ID", help="The Meta app id.")
_app_token_option = click.option(
    "--app-token", envvar="META_APP_TOKEN",
    help="App access token (APP_ID|APP_SECRET, or from the App Dashboard).",
)
_waba_id_option = click.option("--waba-id", envvar="WHATSAPP_WABA_ID",
                               help="The WhatsApp Business Account id.")
_access_token_option = click.option(
    "--access-token", envvar="WHATSAPP_ACCESS_TOKEN",
    help="System-user or business token for the WhatsApp Business Account calls. Default: "
    "[whatsapp] access_token of the settings.",
)


def register_meta_commands(cli: click.Group) -> None:
    """Add the deployment commands to the ``botkit`` group."""
    for command in (meta_networks, subscribe, subscriptions):
        cli.add_command(command)


# -- botkit meta-networks ---------------------------------------------------------------------


@click.command("meta-networks")
@click.option("--server", default="whois.radb.net", show_default=True,
              help="Whois server that holds the route objects.")
@click.option("--port", default=43, show_default=True, type=click.IntRange(1, 65535))
@click.option("--asn", default="AS32934", show_default=True,
              help="Autonomous system whose routes are listed (Meta's is AS32934).")
@click.option("--output", default="meta-networks.txt", show_default=True,
              type=click.Path(dir_okay=False),
              help="The file to write; name it in [security] allowed_networks = { file = ... }.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for the whois server.")
def meta_networks(server: str, port: int, asn: str, output: str, timeout: float) -> None:
    """Refresh the file of Meta's networks from a whois server, and show what changed."""
    from botkit.security.meta_networks import fetch_routes, normalise_asn, write_network_file

    try:
        asn = normalise_asn(asn)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--asn") from None
    try:
        networks = fetch_routes(asn, server, port, timeout=timeout)
        change = write_network_file(output, networks, asn=asn, server=server)
    except BotkitError as exc:
        fail(exc, EXIT_FAILED)
    click.echo(f"wrote {len(networks)} networks of {asn} to {output}")
    if not change.had_previous:
        click.echo("no previous file: every network is new")
        return
    since = f" (refreshed {change.previous_refresh})" if change.previous_refresh else ""
    if not change.changed:
        click.echo(f"no change since the last refresh{since}")
        return
    click.echo(f"since the last refresh{since}: {len(change.added)} added, "
               f"{len(change.removed)} removed")
    for network in change.added:
        click.echo(f"+ {network}")
    for network in change.removed:
        click.echo(f"- {network}")


# -- botkit subscribe / subscriptions ------------------------------------------------------


@click.command()
@config_option
@_app_id_option
@_app_token_option
@_waba_id_option
@_access_token_option
@click.option("--callback-url", required=True,
              help="The public HTTPS URL of the webhook, e.g. https://bot.example.com/webhook.")
@click.option("--fields", default="messages", show_default=True,
              help="Comma-separated webhook fields to subscribe to.")
def subscribe(config_path: str | None, app_id: str | None, app_token: str | None,
              waba_id: str | None, access_token: str | None, callback_url: str,
              fields: str) -> None:
    """Subscribe the app to WhatsApp webhooks at the callback URL, then the app to the WABA.

    Meta checks the callback URL first with a verification request: botkit must be running
    there with the same [whatsapp] verify_token.
    """
    from botkit.whatsapp.subscriptions import subscribe_app, subscribe_waba

    _require(app_id=app_id, app_token=app_token, waba_id=waba_id)
    field_names = [name.strip() for name in fields.split(",") if name.strip()]
    if not field_names:
        raise click.BadParameter("name at least one field, e.g. messages", param_hint="--fields")
    _check_callback_url(callback_url)
    settings = load_settings(config_path)
    if urlsplit(callback_url).path != settings.server.path:
        click.echo(f"warning: the callback URL's path is not [server] path "
                   f"({settings.server.path})", err=True)
    app_credential = _app_credential(app_token)
    waba_credential = _business_credential(access_token, settings)

    async def run(client: WhatsAppClient) -> None:
        await subscribe_app(client, app_id, app_credential, callback_url=callback_url,
                            verify_token=settings.whatsapp.verify_token, fields=field_names)
        click.echo(f"app {app_id}: subscribed to {', '.join(field_names)} at {callback_url} "
                   "(Meta verified the callback)")
        await subscribe_waba(client, waba_id, waba_credential)
        click.echo(f"WhatsApp Business Account {waba_id}: app subscribed to its webhooks")

    _run_with_client(settings, app_credential.token, run)


@click.command()
@config_option
@_app_id_option
@_app_token_option
@_waba_id_option
@_access_token_option
def subscriptions(config_path: str | None, app_id: str | None, app_token: str | None,
                  waba_id: str | None, access_token: str | None) -> None:
    """Show the app's webhook subscriptions and the apps subscribed to the WABA."""
    from botkit.whatsapp.subscriptions import app_subscriptions, waba_subscribed_apps

    if not (app_id or waba_id):
        raise click.UsageError("give --app-id (with --app-token), --waba-id, or both")
    if app_id:
        _require(app_token=app_token)
    settings = load_settings(config_path)
    app_credential = _app_credential(app_token) if app_id else None
    waba_credential = _business_credential(access_token, settings) if waba_id else None

    async def run(client: WhatsAppClient) -> None:
        if app_id and app_credential is not None:
            entries = await app_subscriptions(client, app_id, app_credential)
            click.echo(f"app {app_id}: {len(entries)} subscription(s)")
            for entry in entries:
                state = "active" if entry.active else "inactive"
                click.echo(f"  {entry.object} ({state}) -> {entry.callback_url or '?'}; "
                           f"fields: {', '.join(entry.fields) or 'none'}")
        if waba_id and waba_credential is not None:
            apps = await waba_subscribed_apps(client, waba_id, waba_credential)
            click.echo(f"WhatsApp Business Account {waba_id}: {len(apps)} subscribed app(s)")
            for app in apps:
                name = f" ({app.name})" if app.name else ""
                override = (f"; callback override {app.override_callback_uri}"
                            if app.override_callback_uri else "")
                click.echo(f"  app {app.app_id}{name}{override}")

    credential = app_credential or waba_credential
    assert credential is not None  # one of the ids was given
    _run_with_client(settings, credential.token, run)


# -- helpers ---------------------------------------------------------------------------------


def _require(**options: str | None) -> None:
    missing = [name for name, value in options.items() if not value]
    if missing:
        names = {"app_id": "--app-id / META_APP_ID", "app_token": "--app-token / META_APP_TOKEN",
                 "waba_id": "--waba-id / WHATSAPP_WABA_ID"}
        raise click.UsageError("missing " + ", ".join(names[name] for name in missing))


def _check_callback_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--callback-url")
    if parts.scheme != "https":
        click.echo("warning: Meta only calls HTTPS callback URLs", err=True)


def _app_credential(token: str | None) -> Credential:
    from botkit.whatsapp.subscriptions import Credential

    return Credential(token or "", "--app-token / META_APP_TOKEN")


def _business_credential(token: str | None, settings: Settings) -> Credential:
    from botkit.whatsapp.subscriptions import Credential

    if token:
        return Credential(token, "--access-token / WHATSAPP_ACCESS_TOKEN")
    if settings.whatsapp.access_token:
        return Credential(settings.whatsapp.access_token,
                          f"[whatsapp] access_token of {settings.source}")
    raise click.UsageError("the WhatsApp Business Account calls need a system-user or "
                           "business token: pass --access-token (or WHATSAPP_ACCESS_TOKEN) or "
                           "set [whatsapp] access_token")


def _run_with_client(settings: Settings, token: str,
                     work: Callable[[WhatsAppClient], Awaitable[T]]) -> T:
    from botkit.whatsapp.client import WhatsAppClient

    async def main() -> T:
        wa = settings.whatsapp
        async with WhatsAppClient(access_token=token, graph_url=wa.graph_url,
                                  api_version=wa.api_version, timeout=wa.timeout,
                                  max_attempts=2, max_retry_seconds=10) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except BotkitError as exc:
        fail(exc, EXIT_FAILED)

