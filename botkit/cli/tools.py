"""Tools for people building and running bots: ``botkit send-test`` (signed sample webhooks, the
local twin of the dashboard's test button), ``botkit doctor signature`` (why a signature fails)
and ``botkit new plugin|bot`` (project templates). :func:`register_tool_commands` adds them.

Each tool lives in a module of its own (``send_test``, ``doctor``, ``new``); their names stay
importable from here.
"""

from __future__ import annotations

import click

from botkit.cli._tool_settings import DEFAULT_URL, SECRET_ENV, configured_secrets, settings_url
from botkit.cli.doctor import doctor, doctor_signature
from botkit.cli.new import NAME, TEMPLATES, new, render_template, template_dir
from botkit.cli.send_test import PROGRESS_FROM, SendReport, count_items, post_all, send_test
from botkit.webhook.signature_doctor import diagnose_signature

__all__ = [
    "DEFAULT_URL",
    "NAME",
    "PROGRESS_FROM",
    "SECRET_ENV",
    "TEMPLATES",
    "SendReport",
    "configured_secrets",
    "count_items",
    "diagnose_signature",
    "doctor",
    "doctor_signature",
    "new",
    "post_all",
    "register_tool_commands",
    "render_template",
    "send_test",
    "settings_url",
    "template_dir",
]


def register_tool_commands(cli: click.Group) -> None:
    """Add ``send-test``, ``doctor`` and ``new`` to the ``botkit`` command group."""
    cli.add_command(send_test)
    cli.add_command(doctor)
    cli.add_command(new)
