"""What ``botkit send-test`` and ``botkit doctor signature`` read from the settings when they are
not told: the app secrets the server checks signatures with, and the server's webhook URL.

Shared by both commands, and kept out of them so that neither depends on the other.
"""

from __future__ import annotations

import os

from botkit.cli.common import load_settings
from botkit.errors import SettingsError

SECRET_ENV = "WHATSAPP_APP_SECRET"
DEFAULT_URL = "http://127.0.0.1:8000/webhook"


def configured_secrets(config_path: str | None) -> list[tuple[str, str]]:
    """(label, secret) of the app secrets the server uses: from the settings file when one is
    given (``--config`` or ``$BOTKIT_CONFIG``), else ``$WHATSAPP_APP_SECRET``. Labels never
    contain the secret."""
    if config_path:
        settings = load_settings(config_path)
        secrets = settings.whatsapp.app_secrets
        if len(secrets) == 1:
            return [(f"whatsapp.app_secret of {settings.source}", secrets[0])]
        return [(f"whatsapp.app_secrets[{i}] of {settings.source}", s)
                for i, s in enumerate(secrets)]
    value = os.environ.get(SECRET_ENV, "")
    return [(f"${SECRET_ENV}", value)] if value else []


def no_secret() -> SettingsError:
    return SettingsError([f"no app secret: pass --secret, set {SECRET_ENV}, or give the "
                          "settings file with --config"])


def settings_url(config_path: str | None) -> str:
    """The webhook URL of the server the settings describe (wildcard binds become loopback)."""
    if not config_path:
        return DEFAULT_URL
    server = load_settings(config_path, secrets=False).server
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(server.host, server.host)
    host = f"[{host}]" if ":" in host else host
    scheme = "https" if server.certfile else "http"
    return f"{scheme}://{host}:{server.port}{server.path}"
