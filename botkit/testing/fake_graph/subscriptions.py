"""The fake Graph API's webhook subscriptions: the app's (``/{app-id}/subscriptions``, with the
app token, verifying the callback URL the way Meta does) and the WhatsApp Business Account's
(``/{waba-id}/subscribed_apps``).

A route module like any other feature's: it only adds :data:`ROUTES`. Apps and accounts are
declared with :meth:`FakeGraphAPI.add_app` and :meth:`FakeGraphAPI.add_waba`.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import httpx

from botkit.testing.fake_graph.route import GraphFake, Route
from botkit.testing.fake_graph.wire import (
    RecordedRequest,
    Reply,
    graph_error,
    json_reply,
    object_missing,
    token_refused,
)


async def app_subscriptions(
    fake: GraphFake, request: RecordedRequest, match: re.Match[str]
) -> Reply:
    """List (GET), add (POST, after verifying the callback) or remove (DELETE) subscriptions."""
    state, app_id = fake.state, match["app_id"]
    if app_id not in state.apps:
        return object_missing(request.method, app_id)
    app_token = state.apps[app_id]
    expected = app_token if app_token is not None else fake.access_token
    if (denied := token_refused(request, expected)) is not None:
        if app_token and fake.access_token and request.bearer == fake.access_token:
            return graph_error(400, 15, "This method must be called with an app access_token.")
        return denied
    params = request.params
    subscriptions = state.subscriptions[app_id]
    if request.method == "GET":
        return json_reply({"data": state.app_subscriptions(app_id)})
    if request.method == "DELETE":
        return _unsubscribe(fake, subscriptions, params)
    if request.method != "POST":
        return object_missing(request.method, app_id)
    target = params.get("object")
    callback_url = params.get("callback_url")
    if not target:
        return graph_error(400, 100, "The parameter object is required.")
    if not callback_url or "verify_token" not in params:
        return graph_error(400, 100, "The parameters callback_url and verify_token are required.")
    if (failed := await _verify_callback(callback_url, params["verify_token"])) is not None:
        return failed
    with state.lock:
        entry = subscriptions.setdefault(target, {"object": target, "fields": []})
        entry.update(callback_url=callback_url, active=True)
        known = {f["name"] for f in entry["fields"]}
        entry["fields"].extend(
            {"name": name, "version": match["version"]}
            for name in _field_names(params.get("fields"))
            if name not in known
        )
    return json_reply({"success": True})


def _unsubscribe(
    fake: GraphFake, subscriptions: dict[str, dict[str, Any]], params: dict[str, str]
) -> Reply:
    target, fields = params.get("object"), set(_field_names(params.get("fields")))
    with fake.state.lock:
        for name in [target] if target else list(subscriptions):
            entry = subscriptions.get(name)
            if entry is not None and fields:
                entry["fields"] = [f for f in entry["fields"] if f["name"] not in fields]
            elif entry is not None:
                del subscriptions[name]
    return json_reply({"success": True})


def subscribed_apps(
    fake: GraphFake, request: RecordedRequest, match: re.Match[str]
) -> Reply | None:
    """The caller is the declared app whose token was used, else the only declared app; None
    (not ours) for an account never declared."""
    state, waba_id = fake.state, match["waba_id"]
    if waba_id not in state.wabas:
        return None
    apps = state.wabas[waba_id]
    if request.method == "GET":
        return json_reply({"data": state.waba_subscribed_apps(waba_id)})
    app_id = next((a for a, t in state.apps.items() if t and t == request.bearer), None)
    if app_id is None:
        app_id = next(iter(state.apps)) if len(state.apps) == 1 else "0"
    with state.lock:
        if request.method == "DELETE":
            apps.pop(app_id, None)
        elif request.method == "POST":
            entry: dict[str, Any] = {"whatsapp_business_api_data": {"id": app_id}}
            if override := request.params.get("override_callback_uri"):
                entry["override_callback_uri"] = override
            apps[app_id] = entry
        else:
            return object_missing(request.method, waba_id)
    return json_reply({"success": True})


async def _verify_callback(callback_url: str, verify_token: str) -> Reply | None:
    """Call the callback like Meta does; None when it answered the bare challenge with 200."""
    challenge = str(secrets.randbelow(9 * 10**9) + 10**9)
    query = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    prefix = "Callback verification failed with the following errors: "
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(callback_url, params=query)
    except httpx.HTTPError as exc:
        detail = (
            f"curl_error = {type(exc).__name__}; HTTP Status Code = 502; HTTP Message = Bad Gateway"
        )
        return graph_error(400, 2200, prefix + detail)
    status = f"HTTP Status Code = {response.status_code}; HTTP Message = {response.reason_phrase}"
    if response.status_code != 200:
        return graph_error(400, 2200, prefix + status)
    if response.text != challenge:
        received = response.text[:100]
        return graph_error(
            400,
            2200,
            f"{prefix}{status}; Response Body = {received}; Callback verification failed: "
            f'Response does not match challenge, expected value="{challenge}", '
            f'received="{received}"',
        )
    return None


def _field_names(value: str | None) -> list[str]:
    if not value:
        return []
    if value.startswith("["):
        return [str(name) for name in json.loads(value)]
    return [name.strip() for name in value.split(",") if name.strip()]


ROUTES = [
    Route("*", r"/(?P<version>v\d+\.\d+)/(?P<app_id>[^/]*)/subscriptions", app_subscriptions,
          auth=False),
    Route("*", r"/v\d+\.\d+/(?P<waba_id>[^/]*)/subscribed_apps", subscribed_apps),
]
