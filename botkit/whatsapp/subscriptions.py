"""Webhook subscriptions on the Graph API: the app's (``/{app-id}/subscriptions``, with an app
token) and the WhatsApp Business Account's (``/{waba-id}/subscribed_apps``, with a business token).

Meta only sends webhooks when both exist: the app subscription names the callback URL and the
fields (Meta checks the URL with a verification request first), the WABA subscription says that
this app receives that account's events. Graph errors become :class:`SubscriptionError`, whose
message says which token or id to check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from botkit.errors import BotkitError
from botkit.whatsapp.client import WhatsAppClient
from botkit.whatsapp.errors import GraphError

WHATSAPP_OBJECT = "whatsapp_business_account"
DEFAULT_FIELDS = ("messages",)
CALLBACK_VERIFICATION_FAILED = 2200
APP_TOKEN_REQUIRED = 15
UNKNOWN_OBJECT_SUBCODE = 33


class SubscriptionError(BotkitError):
    """A subscription call failed; the message says what to check."""


@dataclass(frozen=True)
class Credential:
    """A token and where the user gave it, so an error can point at the right option."""

    token: str
    source: str

    def __repr__(self) -> str:
        return f"Credential(source={self.source!r})"


@dataclass(frozen=True)
class AppSubscription:
    object: str
    callback_url: str | None
    active: bool
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SubscribedApp:
    app_id: str
    name: str | None
    override_callback_uri: str | None


async def subscribe_app(client: WhatsAppClient, app_id: str, app_token: Credential, *,
                        callback_url: str, verify_token: str,
                        fields: Sequence[str] = DEFAULT_FIELDS) -> None:
    """Subscribe the app to WhatsApp Business Account webhooks at ``callback_url``.

    Meta first calls ``callback_url`` with a verification request carrying ``verify_token``;
    the subscription fails unless the bot answers it.
    """
    form = {"object": WHATSAPP_OBJECT, "callback_url": callback_url, "fields": ",".join(fields),
            "verify_token": verify_token, "include_values": "true"}
    async with _explained(f"app {app_id}", "--app-id / META_APP_ID", app_token,
                          callback_url=callback_url, secrets=(verify_token,)):
        await client.request("POST", f"/{app_id}/subscriptions", data=form,
                             token=app_token.token)


async def subscribe_waba(client: WhatsAppClient, waba_id: str, token: Credential) -> None:
    """Subscribe the app that owns ``token`` to the events of the WhatsApp Business Account."""
    async with _explained(f"WhatsApp Business Account {waba_id}",
                          "--waba-id / WHATSAPP_WABA_ID", token):
        await client.request("POST", f"/{waba_id}/subscribed_apps", token=token.token)


async def app_subscriptions(client: WhatsAppClient, app_id: str, app_token: Credential
                            ) -> list[AppSubscription]:
    async with _explained(f"app {app_id}", "--app-id / META_APP_ID", app_token):
        answer = await client.request("GET", f"/{app_id}/subscriptions", token=app_token.token)
    return [
        AppSubscription(
            object=str(entry.get("object")),
            callback_url=entry.get("callback_url"),
            active=bool(entry.get("active")),
            fields=tuple(str(f.get("name")) for f in entry.get("fields", ())
                         if isinstance(f, Mapping)),
        )
        for entry in _data(answer)
    ]


async def waba_subscribed_apps(client: WhatsAppClient, waba_id: str, token: Credential
                               ) -> list[SubscribedApp]:
    async with _explained(f"WhatsApp Business Account {waba_id}",
                          "--waba-id / WHATSAPP_WABA_ID", token):
        answer = await client.request("GET", f"/{waba_id}/subscribed_apps", token=token.token)
    apps = []
    for entry in _data(answer):
        app = entry.get("whatsapp_business_api_data")
        app = app if isinstance(app, Mapping) else {}
        apps.append(SubscribedApp(app_id=str(app.get("id", "?")), name=app.get("name"),
                                  override_callback_uri=entry.get("override_callback_uri")))
    return apps


def _data(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    data = answer.get("data")
    return [entry for entry in data if isinstance(entry, Mapping)] if isinstance(
        data, list) else []


@asynccontextmanager
async def _explained(target: str, id_option: str, credential: Credential, *,
                     callback_url: str | None = None, secrets: Sequence[str] = ()
                     ) -> AsyncIterator[None]:
    """Turn a GraphError into a SubscriptionError that names what to check (no secrets)."""
    try:
        yield
    except GraphError as exc:
        message = explain(exc, target, id_option, credential, callback_url)
        for secret in (credential.token, *secrets):
            if secret and len(secret) >= 4:
                message = message.replace(secret, "***")
        raise SubscriptionError(message) from None


def explain(exc: GraphError, target: str, id_option: str, credential: Credential,
            callback_url: str | None = None) -> str:
    """What a Graph error on a subscription call means, and which option to check."""
    meta = f"(Graph API said: {exc})"
    source = credential.source
    if exc.code == 190:
        return (f"{target}: the token from {source} was refused (invalid, expired or "
                f"revoked); check {source} {meta}")
    if exc.code == APP_TOKEN_REQUIRED:
        return (f"{target}: this call needs an app access token (APP_ID|APP_SECRET or from "
                f"the App Dashboard); check {source} {meta}")
    if exc.code == 100 and (exc.subcode == UNKNOWN_OBJECT_SUBCODE or "does not exist" in str(exc)):
        return (f"{target} was not found, or the token from {source} cannot see it; check "
                f"{id_option} and that token {meta}")
    if exc.code == 100:
        return f"{target}: a parameter was refused; check --fields and --callback-url {meta}"
    if exc.code == CALLBACK_VERIFICATION_FAILED:
        return (f"{target}: Meta could not verify the callback URL {callback_url}: it must be "
                "reachable from the internet over HTTPS with a CA-issued certificate, and the "
                f"botkit there must have the same [whatsapp] verify_token {meta}")
    if exc.code is not None and (exc.code == 10 or 200 <= exc.code < 300):
        return (f"{target}: the token from {source} lacks a permission "
                f"(whatsapp_business_management on the account) {meta}")
    return f"{target}: {exc}"
