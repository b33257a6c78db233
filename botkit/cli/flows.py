"""``botkit flows``: the Flows endpoint's key pair, and Meta's Flows management API.

``keygen`` (in :mod:`botkit.cli.flows_keygen`) makes the key pair. The other commands wrap the
Flows management API with the ``[whatsapp]`` access token; Flow JSON is checked locally before any
upload and refused with every problem listed. Exit status: 0 done, 1 the request or a check
failed, 2 a usage or settings error. Tokens, keys and passphrases are never printed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from botkit.cli.common import (
    EXIT_FAILED,
    access_token_option,
    config_option,
    fail,
    json_option,
    load_settings,
    print_json,
    waba_id_option,
)
from botkit.cli.common import access_token as access_token_of
from botkit.cli.common import waba_id as waba_id_of
from botkit.cli.flows_keygen import keygen
from botkit.flows.management import (
    CATEGORIES,
    GRANULARITIES,
    METRICS,
    FlowInfo,
    FlowJsonRejected,
    FlowsApiError,
    FlowsManager,
    UploadResult,
    describe_validation_error,
)

T = TypeVar("T")

@click.group("flows")
def flows() -> None:
    """WhatsApp Flows: the endpoint's key pair and Meta's Flows management API."""


flows.add_command(keygen)


def register_flows_command(cli: click.Group) -> None:
    """Add ``flows`` to the ``botkit`` command group."""
    cli.add_command(flows)


# -- the management API -----------------------------------------------------------------------


def _manager(config_path: str | None, access_token: str | None) -> FlowsManager:
    settings = load_settings(config_path, secrets=False)
    token = access_token_of(settings, access_token)
    wa = settings.whatsapp
    return FlowsManager(access_token=token, graph_url=wa.graph_url, api_version=wa.api_version,
                        timeout=max(wa.timeout, 30.0))


def _waba(config_path: str | None, given: str | None) -> str:
    return waba_id_of(load_settings(config_path, secrets=False), given)


def _run(manager: FlowsManager, call: Callable[[FlowsManager], Awaitable[T]]) -> T:
    """Run one management call; failures become one message and an exit status."""

    async def run() -> T:
        async with manager:
            return await call(manager)

    try:
        return asyncio.run(run())
    except FlowJsonRejected as exc:
        click.echo(f"error: the Flow JSON has {len(exc.problems)} problem(s); nothing was "
                   f"uploaded:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    except FlowsApiError as exc:
        fail(str(exc), EXIT_FAILED)
    except ValueError as exc:
        fail(str(exc))


def _read_json_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")


def _report_upload(result: UploadResult) -> None:
    errors = result.validation_errors
    if not errors:
        click.echo(f"Flow {result.flow_id}: Flow JSON accepted, no validation errors")
        return
    click.echo(f"Flow {result.flow_id}: Meta found {len(errors)} problem(s) in the Flow JSON "
               f"(the Flow cannot be published until they are fixed):", err=True)
    for error in errors:
        click.echo(f"  {describe_validation_error(error)}", err=True)
    sys.exit(1)


@flows.command("list")
@config_option
@access_token_option
@waba_id_option
@json_option
def list_flows(config_path: str | None, access_token: str | None, waba_id: str | None,
               as_json: bool) -> None:
    """List the Flows of the WhatsApp Business Account."""
    waba = _waba(config_path, waba_id)
    found: list[FlowInfo] = _run(_manager(config_path, access_token),
                                 lambda m: m.list_flows(waba))
    if as_json:
        print_json([dict(flow.raw) for flow in found])
        return
    if not found:
        click.echo(f"no Flows in WhatsApp Business Account {waba}")
    for flow in found:
        problems = f"  ({len(flow.validation_errors)} validation error(s))" if (
            flow.validation_errors) else ""
        click.echo(f"{flow.id:<18} {flow.status:<11} {flow.name}  "
                   f"[{', '.join(flow.categories)}]{problems}")


@flows.command()
@config_option
@access_token_option
@json_option
@click.argument("flow_id")
def show(config_path: str | None, access_token: str | None, as_json: bool, flow_id: str) -> None:
    """Show one Flow: status, categories, versions, endpoint, preview, validation errors."""
    flow: FlowInfo = _run(_manager(config_path, access_token), lambda m: m.get_flow(flow_id))
    if as_json:
        print_json(dict(flow.raw))
        return
    raw = flow.raw
    preview = raw.get("preview")
    preview = preview if isinstance(preview, Mapping) else {}
    rows = [("id", flow.id), ("name", flow.name), ("status", flow.status),
            ("categories", ", ".join(flow.categories)),
            ("json version", raw.get("json_version")),
            ("data API version", raw.get("data_api_version")),
            ("endpoint", raw.get("endpoint_uri")), ("preview", preview.get("preview_url"))]
    for label, value in rows:
        if value:
            click.echo(f"{label + ':':<18}{value}")
    count = len(flow.validation_errors)
    click.echo(f"{'validation:':<18}{f'{count} error(s)' if count else 'no errors'}")
    for error in flow.validation_errors:
        click.echo(f"  {describe_validation_error(error)}")


@flows.command()
@config_option
@access_token_option
@waba_id_option
@click.argument("name")
@click.option("--category", "categories", multiple=True, required=True,
              type=click.Choice(CATEGORIES), help="The Flow's category (repeat for several).")
@click.option("--json", "json_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Flow JSON to upload with it (checked locally first).")
@click.option("--endpoint-uri", help="The HTTPS URL of the Flows endpoint (data_exchange Flows).")
@click.option("--publish", is_flag=True, help="Publish at once (needs --json without errors).")
def create(config_path: str | None, access_token: str | None, waba_id: str | None, name: str,
           categories: tuple[str, ...], json_file: Path | None, endpoint_uri: str | None,
           publish: bool) -> None:
    """Create a Flow named NAME (in DRAFT unless --publish)."""
    waba = _waba(config_path, waba_id)
    document = _read_json_file(json_file) if json_file is not None else None
    result: UploadResult = _run(_manager(config_path, access_token), lambda m: m.create_flow(
        waba, name, categories, flow_json=document, endpoint_uri=endpoint_uri, publish=publish))
    click.echo(f"created Flow {result.flow_id} ({name})")
    if document is not None:
        _report_upload(result)


@flows.command("update-json")
@config_option
@access_token_option
@click.argument("flow_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def update_json(config_path: str | None, access_token: str | None, flow_id: str,
                file: Path) -> None:
    """Upload FILE as the Flow JSON of a DRAFT Flow, after checking it locally."""
    document = _read_json_file(file)
    result: UploadResult = _run(_manager(config_path, access_token),
                                lambda m: m.update_flow_json(flow_id, document))
    _report_upload(result)


@flows.command()
@config_option
@access_token_option
@click.argument("flow_id")
def publish(config_path: str | None, access_token: str | None, flow_id: str) -> None:
    """Publish a DRAFT Flow; its Flow JSON can no longer change."""
    _run(_manager(config_path, access_token), lambda m: m.publish(flow_id))
    click.echo(f"published Flow {flow_id}")


@flows.command()
@config_option
@access_token_option
@click.argument("flow_id")
def deprecate(config_path: str | None, access_token: str | None, flow_id: str) -> None:
    """Deprecate a PUBLISHED Flow: it can no longer be sent."""
    _run(_manager(config_path, access_token), lambda m: m.deprecate(flow_id))
    click.echo(f"deprecated Flow {flow_id}")


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("expected a date as YYYY-MM-DD", param=param) from None


@flows.command()
@config_option
@access_token_option
@json_option
@click.argument("flow_id")
@click.option("--metric", type=click.Choice(METRICS), default="ENDPOINT_REQUEST_COUNT",
              show_default=True, help="Which endpoint metric.")
@click.option("--granularity", type=click.Choice(GRANULARITIES), default="DAY",
              show_default=True)
@click.option("--since", callback=_day, help="First day (YYYY-MM-DD).")
@click.option("--until", callback=_day, help="Last day (YYYY-MM-DD).")
def metrics(config_path: str | None, access_token: str | None, as_json: bool, flow_id: str,
            metric: str, granularity: str, since: date | None, until: date | None) -> None:
    """Show one of the endpoint metrics Meta keeps for a Flow."""
    found: dict[str, Any] = _run(_manager(config_path, access_token), lambda m: m.metric(
        flow_id, metric, granularity, since=since, until=until))
    if as_json:
        print_json(found)
        return
    click.echo(f"{found.get('name', metric)} per {str(found.get('granularity', '')).lower()} "
               f"of Flow {flow_id}:")
    for point in found.get("data_points") or ():
        pairs = " ".join(f"{item.get('key')}={item.get('value')}"
                         for item in point.get("data") or () if isinstance(item, Mapping))
        click.echo(f"  {point.get('timestamp', '?')}  {pairs}")
