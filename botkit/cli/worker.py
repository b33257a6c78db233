"""``botkit worker``: dispatch stored events without serving HTTP."""

from __future__ import annotations

import logging
import sys

import click

from botkit._logging import configure
from botkit.cli.common import config_option, fail, load_settings, log_secrets
from botkit.errors import BotkitError

log = logging.getLogger("botkit.worker")


@click.command("worker")
@config_option
def worker(config_path: str | None) -> None:
    """Run the enabled plugins on stored events, without the webhook.

    Start several next to `botkit serve` instances on one redis:// store to spread the work;
    each event still reaches each plugin once. Stops gracefully on SIGTERM or SIGINT.
    """
    from botkit.runtime.worker import run_worker

    settings = load_settings(config_path)
    configure(settings.logging.level, settings.logging.format, log_secrets(settings))
    try:
        run_worker(settings)
    except BotkitError as exc:
        fail(exc)
    except Exception:
        log.exception("botkit worker stopped on an error")
        sys.exit(1)


def register_worker_command(cli: click.Group) -> None:
    """Add ``worker`` to the ``botkit`` command group."""
    cli.add_command(worker)
