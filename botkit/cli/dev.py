"""``botkit dev``: ``botkit serve`` for the desk: the server restarts when a source file changes.

The server runs in a child process; this process only watches files and restarts it. Watched
are the ``.py`` files of the project (the settings file's folder, or the working folder), of
every enabled plugin's package wherever it is installed (an editable install is its source
folder), and the settings file itself. A restart is a clean stop (dispatch ends, ``shutdown``
hooks run, the store closes) and a new start, so what the store holds carries over, as after a
deploy. The log is the readable text format, in colour at a terminal. With ``--fake-graph`` a
local stand-in for Meta's Graph API runs here as well, the bot sends to it, and each message it
sends is printed: a first bot answers without a Meta account.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import click

from botkit.cli.common import config_option, fail, load_settings, log_secrets
from botkit.errors import BotkitError, SettingsError
from botkit.settings import Settings

#: Folders never watched: tools' caches, virtual environments, the bot's own data.
IGNORED_DIRS = frozenset({"__pycache__", ".git", ".hg", ".venv", "venv", ".tox", ".nox",
                          ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
                          "node_modules", "botkit-data", "build", "dist"})
STOP_SECONDS = 10.0  # a stopping server gets this long before it is killed


def note(text: str) -> None:
    """One line of this command's own, told apart from the server's log."""
    prefix = click.style("botkit dev", bold=True) if sys.stderr.isatty() else "botkit dev"
    click.echo(f"{prefix}: {text}", err=True)


# -- what to watch ----------------------------------------------------------------------------

def plugin_folders(names: Iterable[str]) -> list[Path]:
    """The folder of each enabled plugin's top-level package (or module), found through its
    entry point without importing it. Plugins given only in code have none."""
    wanted = set(names)
    folders: list[Path] = []
    for entry in metadata.entry_points(group="botkit"):
        if entry.name not in wanted:
            continue
        top = entry.module.split(".")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:
            folders.extend(Path(p) for p in spec.submodule_search_locations)
        elif spec.origin:
            folders.append(Path(spec.origin).parent)
    return folders


def watch_roots(project: Path, settings_file: Path | None, plugins: Iterable[str]) -> list[Path]:
    """The folders to watch, each once: none inside another."""
    candidates = [project, *plugin_folders(plugins)]
    if settings_file is not None:
        candidates.append(settings_file.parent)
    roots: list[Path] = []
    folders = {c.resolve() for c in candidates if c.is_dir()}
    for folder in sorted(folders, key=lambda p: len(p.parts)):
        if not any(folder.is_relative_to(root) for root in roots):
            roots.append(folder)
    return roots


class SourceFilter:
    """Passes changes to ``.py`` files and to the settings file, outside :data:`IGNORED_DIRS`."""

    def __init__(self, settings_file: Path | None) -> None:
        self.settings_file = settings_file.resolve() if settings_file is not None else None

    def __call__(self, change: Any, path: str) -> bool:
        changed = Path(path)
        if self.settings_file is not None and changed == self.settings_file:
            return True
        if changed.suffix != ".py":
            return False
        return not any(part in IGNORED_DIRS or part.endswith(".egg-info")
                       for part in changed.parts)


# -- the server process ---------------------------------------------------------------------

class ServerProcess:
    """The child running the server; started, stopped and restarted from here."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.command = command
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.reported_exit = False

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=self.cwd)
        self.reported_exit = False

    def exited(self) -> int | None:
        """The exit status once the server stopped by itself (reported once), else None."""
        if self.process is None or self.reported_exit:
            return None
        code = self.process.poll()
        if code is not None:
            self.reported_exit = True
        return code

    def stop(self) -> None:
        """SIGTERM (a clean stop), then SIGKILL after :data:`STOP_SECONDS`."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            note(f"the server did not stop within {STOP_SECONDS:g} s; killing it")
            process.kill()
            process.wait()


def child_command(config_path: str | None, bind: str | None, graph_url: str | None
                  ) -> list[str]:
    command = [sys.executable, "-m", "botkit.cli.dev"]
    for option, value in (("--config", config_path), ("--bind", bind),
                          ("--graph-url", graph_url)):
        if value:
            command += [option, value]
    return command


def _changed_names(changes: set[tuple[Any, str]], roots: list[Path]) -> str:
    names = []
    for _, path in sorted(changes, key=lambda c: c[1]):
        changed = Path(path)
        root = next((r for r in roots if changed.is_relative_to(r)), None)
        names.append(str(changed.relative_to(root)) if root else str(changed))
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def watch_and_serve(server: ServerProcess, settings: Settings, config_path: str | None,
                    stop: threading.Event) -> None:
    """Run the server, restart it on every change, until ``stop`` is set."""
    import watchfiles

    settings_file = Path(config_path).resolve() if config_path else None
    project = settings_file.parent if settings_file is not None else Path.cwd()
    plugins = settings.enabled_plugins
    server.start()
    while not stop.is_set():
        roots = watch_roots(project, settings_file, plugins)
        note("watching " + ", ".join(str(r) for r in roots))
        for changes in watchfiles.watch(*roots, watch_filter=SourceFilter(settings_file),
                                        stop_event=stop, rust_timeout=500,
                                        yield_on_timeout=True, raise_interrupt=False):
            if not changes:
                code = server.exited()
                if code == 0:
                    note("the server stopped; it starts again on the next change")
                elif code is not None:
                    note(f"the server stopped (exit status {code}); fix the problem above, "
                         "it restarts on the next change")
                continue
            note(f"{_changed_names(changes, roots)} changed: restarting")
            server.stop()
            server.start()
            if settings_file is not None and any(Path(p) == settings_file for _, p in changes):
                plugins = _enabled_plugins(config_path, plugins)
                break  # the plugins may have changed: watch their folders
        else:
            return  # stopped: by ``stop``, or Ctrl-C ended the watch


def _enabled_plugins(config_path: str | None, before: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return Settings.load(config_path, secrets=False).enabled_plugins
    except SettingsError:
        return before


@click.command()
@config_option
@click.option("--bind", help="Override [server] bind, e.g. 127.0.0.1:8001.")
@click.option("--fake-graph", is_flag=True,
              help="Run a local stand-in for Meta's Graph API, send the bot's messages to it "
                   "and print them here.")
@click.option("--fake-graph-port", type=click.IntRange(0, 65535), default=0,
              help="Port of the stand-in (default: any free port).")
def dev(config_path: str | None, bind: str | None, fake_graph: bool,
        fake_graph_port: int) -> None:
    """Serve like botkit serve, and restart when a .py file of the project or of an enabled
    plugin, or the settings file, changes."""
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        fail("botkit dev needs watchfiles: pip install watchfiles")
    settings = load_settings(config_path)
    if bind:
        parse_bind(bind)  # a bad --bind is refused here, not in every restart
    stop = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or a service manager
        signal.signal(stop_signal, lambda *_: stop.set())
    graph_url = None
    fake = None
    if fake_graph:
        from botkit.cli.fake_graph_cmd import SentPrinter, start_fake_graph

        try:
            fake = start_fake_graph(fake_graph_port)
        except OSError as exc:
            fail(str(exc))
        graph_url = fake.url
        SentPrinter(fake, sys.stdout).start(stop)
        note(f"fake Graph API at {graph_url}: the bot's messages are printed here")
    config = str(Path(config_path).resolve()) if config_path else None
    server = ServerProcess(child_command(config, bind, graph_url), Path.cwd())
    try:
        watch_and_serve(server, settings, config, stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.stop()
        if fake is not None:
            fake.stop()
    note("stopped")


# -- inside the child ------------------------------------------------------------------------

def parse_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6), or a usage error."""
    host, _, port = bind.rpartition(":")
    if not port.isdigit() or not host:
        fail(SettingsError([f"--bind: expected HOST:PORT, got {bind!r}"]))
    return host.strip("[]"), int(port)


def dev_settings(settings: Settings, bind: str | None, graph_url: str | None) -> Settings:
    """The settings with the command line's overrides: the bind, and the fake Graph API (with
    a stand-in access token when none is set, since the fake takes any)."""
    if bind:
        host, port = parse_bind(bind)
        settings = replace(settings, server=replace(settings.server, host=host, port=port))
    if graph_url:
        from botkit.cli.fake_graph_cmd import FAKE_ACCESS_TOKEN

        token = settings.whatsapp.access_token or FAKE_ACCESS_TOKEN
        settings = replace(settings, whatsapp=replace(settings.whatsapp, graph_url=graph_url,
                                                      access_token=token))
    return settings


@click.command(hidden=True)
@config_option
@click.option("--bind")
@click.option("--graph-url")
def serve_child(config_path: str | None, bind: str | None, graph_url: str | None) -> None:
    """The server ``botkit dev`` runs and restarts (not meant to be started by hand)."""
    from botkit._logging import configure
    from botkit.app import create_app
    from botkit.runtime.server import run

    settings = dev_settings(load_settings(config_path), bind, graph_url)
    configure(settings.logging.level, "text", log_secrets(settings))
    try:
        app = create_app(settings)
    except BotkitError as exc:
        fail(exc)
    run(app, settings)


if __name__ == "__main__":
    serve_child(prog_name="botkit dev")
