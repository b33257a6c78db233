"""The fake Graph API's ``POST /{phone-number-id}/messages``: message sends, answered with a
fresh wamid like Meta, and read receipts (with or without a typing indicator).

A route module like any other feature's: it only adds :data:`ROUTES`.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from botkit.testing.fake_graph.route import GraphFake, Route
from botkit.testing.fake_graph.wire import RecordedRequest, Reply, graph_error, json_reply


def send(fake: GraphFake, request: RecordedRequest, match: re.Match[str]) -> Reply:
    """Check the body as Meta does, then record it as a message or as a read receipt."""
    state, body = fake.state, request.json
    if not isinstance(body, dict):
        return graph_error(400, 100, "Invalid parameter", "the body must be a JSON object")
    if body.get("messaging_product") != "whatsapp":
        return graph_error(400, 100, "The parameter messaging_product is required.")
    if body.get("status") == "read":
        if not body.get("message_id"):
            return graph_error(400, 100, "The parameter message_id is required.")
        with state.lock:
            state.receipts.append(body)
            state.lock.notify_all()
        return json_reply({"success": True})
    kind = body.get("type", "text")
    recipient = body.get("to") or body.get("recipient")
    problem = None
    if not recipient:
        problem = "The parameter to is required."
    elif not isinstance(body.get(kind), dict | list):
        problem = f"Param {kind} is required for a message of type {kind}."
    elif kind == "text" and not str(body["text"].get("body") or "").strip():
        problem = "The parameter text['body'] is required."
    if problem:
        return graph_error(400, 100, problem)
    wamid = "wamid." + base64.b64encode(f"fake.{uuid.uuid4().hex}".encode()).decode()
    message: dict[str, Any] = {"id": wamid}
    if kind == "template":
        message["message_status"] = "accepted"
    if body.get("to"):
        contact = {"input": body["to"], "wa_id": re.sub(r"\D", "", body["to"])}
    else:
        contact = {"input": recipient, "user_id": recipient}
    with state.lock:
        state.accepted.append((match["phone_number_id"], body))
        state.lock.notify_all()
    return json_reply(
        {"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}
    )


ROUTES = [Route("POST", r"/v\d+\.\d+/(?P<phone_number_id>[^/]*)/messages", send)]
