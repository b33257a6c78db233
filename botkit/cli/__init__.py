"""The ``botkit`` command line, one module per command group.

Plugins that add commands (``register_commands``) use the helpers exported here: the
``--config`` option, settings loading with botkit's error path, and :func:`fail` (exit code 2
with one ``error:`` line).
"""

from __future__ import annotations

from botkit.cli.common import config_option, fail, load_settings, plugin_config

__all__ = ["config_option", "fail", "load_settings", "plugin_config"]
