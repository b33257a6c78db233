"""Exceptions that botkit raises or that plugins raise to steer delivery."""

from __future__ import annotations


class BotkitError(Exception):
    """Base class of botkit's own errors."""


class SettingsError(BotkitError):
    """The settings are invalid; ``problems`` lists every problem as ``path: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in self.problems))


class PluginError(BotkitError):
    """A plugin could not be found, loaded or configured."""


class StoreError(BotkitError):
    """The store could not commit or read; the webhook answers 503."""


class PermanentError(Exception):
    """Raised by a plugin for a failure retrying cannot fix: no retry, straight to dead letters."""
