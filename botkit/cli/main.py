"""The ``botkit`` command line. Library code raises; only this module turns errors into exits."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from botkit import __name__ as package_name
from botkit._logging import configure
from botkit.cli.common import EXIT_FAILED, config_option, fail, load_settings, log_secrets
from botkit.cli.conversations import register_conversation_commands
from botkit.cli.dev import dev
from botkit.cli.events import register_event_commands
from botkit.cli.fake_graph_cmd import fake_graph
from botkit.cli.flows import register_flows_command
from botkit.cli.meta import register_meta_commands
from botkit.cli.send import register_send_command
from botkit.cli.store import register_store_command
from botkit.cli.templates import register_templates_command
from botkit.cli.timeline import register_timeline_commands
from botkit.cli.tools import register_tool_commands
from botkit.cli.worker import register_worker_command
from botkit.errors import BotkitError, SettingsError
from botkit.settings import Settings


class BotkitGroup(click.Group):
    """The command group; installed plugins add commands through ``register_commands``,
    loaded only when a command is not one of botkit's own (or when listing them)."""

    def _add_plugin_commands(self) -> None:
        import pluggy

        from botkit import hookspecs
        from botkit.plugins import load_installed

        manager = pluggy.PluginManager("botkit")
        manager.add_hookspecs(hookspecs)
        for name, plugin, error in load_installed():
            if error is not None:
                click.echo(f"warning: plugin {name!r} failed to import: {error}", err=True)
                continue
            manager.register(plugin, name=name)
        manager.hook.register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._add_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command


@click.group(cls=BotkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=package_name)
def cli() -> None:
    """botkit: receive, verify, store and dispatch WhatsApp webhooks to plugins."""


@cli.command()
@config_option
@click.option("--bind", help="Override [server] bind, e.g. 0.0.0.0:8000.")
def serve(config_path: str | None, bind: str | None) -> None:
    """Serve the webhook and dispatch events to the enabled plugins."""
    from dataclasses import replace

    from botkit.app import create_app
    from botkit.runtime.server import run

    settings = load_settings(config_path)
    if bind:
        host, _, port = bind.rpartition(":")
        if not port.isdigit() or not host:
            fail(SettingsError([f"--bind: expected HOST:PORT, got {bind!r}"]))
        settings = replace(settings, server=replace(settings.server, host=host.strip("[]"),
                                                    port=int(port)))
    configure(settings.logging.level, settings.logging.format, log_secrets(settings))
    try:
        app = create_app(settings)
    except BotkitError as exc:
        fail(exc)
    run(app, settings)


@cli.command()
@config_option
def check(config_path: str | None) -> None:
    """Validate the settings file and every enabled plugin's settings."""
    from botkit.plugins import load_plugins

    settings = load_settings(config_path)
    try:
        plugins = load_plugins(settings)
    except BotkitError as exc:
        fail(exc)
    click.echo(f"settings OK ({settings.source}); plugins: "
               f"{', '.join(plugins.top_level) or 'none'}")
    for number, table in settings.numbers.items():
        token = "own token" if table.access_token else "top-level token"
        name = f" ({table.label})" if table.label else ""
        click.echo(f"number {number}{name}: plugins: "
                   f"{', '.join(plugins.names_for(number)) or 'none'}; {token}")


@cli.command("plugins")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_plugins(config_path: str | None, as_json: bool) -> None:
    """List installed plugins, their versions, whether enabled, and the hooks they implement."""
    from botkit.plugins import hook_names, installed_plugins, load_installed

    enabled: tuple[str, ...] = ()
    with contextlib.suppress(SettingsError):
        enabled = Settings.load(config_path).enabled_plugins
    infos = installed_plugins()
    rows = []
    for name, plugin, error in sorted(load_installed(), key=lambda row: row[0]):
        info = infos[name]
        hooks = [h for h in hook_names() if callable(getattr(plugin, h, None))]
        rows.append({"name": name, "distribution": info.distribution, "version": info.version,
                     "enabled": name in enabled, "hooks": hooks,
                     "error": str(error) if error else None})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        mark = "enabled " if row["enabled"] else "disabled"
        hooks = f"failed to import: {row['error']}" if row["error"] else ", ".join(row["hooks"])
        click.echo(f"{row['name']:<20} {row['version'] or '?':<10} {mark}  {hooks}")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Validate a webhook payload file against the shipped schemas."""
    from botkit.validation.schemas import SchemaValidator

    try:
        body = json.loads(file.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{file}: not valid JSON: {exc}", EXIT_FAILED)
    problems = SchemaValidator().validate_body(body)
    for problem in problems:
        click.echo(f"{file}: {problem}")
    if problems:
        sys.exit(EXIT_FAILED)
    click.echo(f"{file}: valid")


register_event_commands(cli)
register_conversation_commands(cli)
register_timeline_commands(cli)
register_flows_command(cli)
register_templates_command(cli)
register_meta_commands(cli)
register_tool_commands(cli)
register_worker_command(cli)
register_send_command(cli)
register_store_command(cli)
cli.add_command(dev)
cli.add_command(fake_graph)


def main() -> None:
    """The ``botkit`` entry point: any botkit error a command lets through still ends as one
    line and exit 2, never a traceback."""
    try:
        cli()
    except BotkitError as exc:
        fail(exc)
