"""pywa on FastAPI as pywa documents it: the client registers the webhook routes on the app.

Signature validation is on (``app_secret`` set) and nothing is stored. The async flavour
(``pywa_async``) is used because FastAPI is an async framework; the handlers do nothing, like
botkit's no-op plugin. This module runs in the peers' virtualenv, never in botkit's.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from pywa_async import WhatsApp, types

PHONE_NUMBER_ID = "109862385428321"


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} must be set to start this server")
    return value


app = FastAPI()
wa = WhatsApp(
    phone_id=PHONE_NUMBER_ID,
    server=app,
    webhook_endpoint="/webhook",
    verify_token=_required_env("WHATSAPP_VERIFY_TOKEN"),
    app_secret=_required_env("WHATSAPP_APP_SECRET"),
)


@wa.on_message()
async def message_received(_: WhatsApp, message: types.Message) -> None:
    """Accept every message and do nothing with it."""


@wa.on_message_status()
async def status_received(_: WhatsApp, status: types.MessageStatus) -> None:
    """Accept every status and do nothing with it."""
