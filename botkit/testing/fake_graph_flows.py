"""The Flows management endpoints of the fake Graph API: plain routes and the state they keep.

:func:`route_flows` answers a request (anything with ``method``, ``path``, ``query``,
``headers`` with lower-case names, and ``body``: the fake Graph API's ``RecordedRequest`` has
them) with ``(status, JSON)``, or None when the path is not a Flows call, so the fake Graph API
can offer it first and fall through to its other routes. :class:`FakeFlows` keeps the Flows by
id with the state Meta keeps: name, categories, status ``DRAFT`` / ``PUBLISHED`` /
``DEPRECATED``, the Flow JSON asset, its validation errors, and metrics a test sets.
:class:`botkit.testing.fake_graph_flows_app.FlowsGraphApp` serves the routes on their own as a
small ASGI app, for a LiveServer.

Like Meta: only a ``DRAFT`` Flow takes new Flow JSON; publishing needs Flow JSON without
validation errors; only a ``PUBLISHED`` Flow can be deprecated. Meta's validator is stood in
for by a few checks (JSON, a supported ``version``, ``screens``), enough to return errors.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from botkit.testing.fake_graph_requests import (
    Answer,
    GraphRequest,
    graph_error,
    multipart_parts,
    request_fields,
    request_params,
)

SUPPORTED_VERSIONS = frozenset({"5.1", "6.0", "6.1", "6.2", "6.3", "7.0", "7.1", "7.2", "7.3"})
_VERSION = re.compile(r"v\d+\.\d+")
_METRIC = re.compile(r"metric\.name\((\w+)\)\.granularity\((\w+)\)"
                     r"(?:\.since\(([\d-]+)\))?(?:\.until\(([\d-]+)\))?")
# Meta's Flows error codes
UPDATE_FAILED, PUBLISH_FAILED, DEPRECATE_FAILED = 139001, 139002, 139003


@dataclass
class FakeFlow:
    """One Flow as the fake keeps it."""

    id: str
    waba_id: str
    name: str
    categories: list[str]
    status: str = "DRAFT"
    endpoint_uri: str | None = None
    flow_json: str | None = None
    validation_errors: list[dict[str, Any]] = field(default_factory=list)
    #: metric name -> data points, as a test declared them with ``FakeFlows.set_metric``
    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def public(self, fields: list[str]) -> dict[str, Any]:
        known: dict[str, Any] = {
            "id": self.id, "name": self.name, "status": self.status,
            "categories": list(self.categories),
            "validation_errors": list(self.validation_errors),
            "endpoint_uri": self.endpoint_uri,
            "json_version": _version_of(self.flow_json),
            "data_api_version": _data_api_version_of(self.flow_json),
            "preview": {"preview_url": f"https://fake.invalid/flows/{self.id}/preview",
                        "expires_at": "2099-01-01T00:00:00+0000"},
            "health_status": {"can_send_message": "AVAILABLE"
                              if self.status == "PUBLISHED" else "BLOCKED"}}
        shown: dict[str, Any] = {"id": self.id}
        for name in fields:
            if known.get(name) is not None:
                shown[name] = known[name]
        return shown


@dataclass
class FakeFlows:
    """The Flows of declared WhatsApp Business Accounts, and every asset uploaded."""

    flows: dict[str, FakeFlow] = field(default_factory=dict)
    wabas: set[str] = field(default_factory=set)
    #: (flow id, uploaded bytes) of every Flow JSON upload that reached the fake
    uploads: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_waba(self, waba_id: str) -> None:
        with self.lock:
            self.wabas.add(waba_id)

    def add_flow(self, waba_id: str, name: str, categories: list[str] | None = None, *,
                 flow_json: str | None = None, status: str = "DRAFT") -> FakeFlow:
        """Declare an existing Flow (its Flow JSON validated as an upload would be)."""
        with self.lock:
            self.wabas.add(waba_id)
            flow = FakeFlow(_new_id(), waba_id, name, list(categories or ["OTHER"]),
                            status=status)
            if flow_json is not None:
                flow.flow_json, flow.validation_errors = flow_json, validate(flow_json)
            self.flows[flow.id] = flow
            return flow

    def set_metric(self, flow_id: str, name: str, points: list[dict[str, Any]]) -> None:
        """Data points Meta would return for ``name``: ``{"timestamp": "2026-07-01T...",
        "data": [{"key": ..., "value": ...}]}``."""
        with self.lock:
            self.flows[flow_id].metrics[name] = points


def validate(flow_json: str) -> list[dict[str, Any]]:
    """A few of the errors Meta's validator reports, in its shape."""
    try:
        doc = json.loads(flow_json)
    except ValueError as exc:
        return [_validation("INVALID_JSON", f"Invalid JSON: {exc}", 1)]
    if not isinstance(doc, dict):
        return [_validation("INVALID_JSON", "The Flow JSON must be an object.", 1)]
    errors = []
    version = doc.get("version")
    if version not in SUPPORTED_VERSIONS:
        errors.append(_validation("INVALID_PROPERTY_VALUE",
                                  f"Flow JSON version {version} is not supported.", 2))
    if not isinstance(doc.get("screens"), list) or not doc["screens"]:
        errors.append(_validation("MISSING_REQUIRED_PROPERTY",
                                  "The property 'screens' is required.", 1))
    return errors


def route_flows(state: FakeFlows, request: GraphRequest) -> Answer | None:
    """Answer a Flows management call, or None when ``request`` is not one."""
    parts = request.path.strip("/").split("/")
    if len(parts) not in (2, 3) or not _VERSION.fullmatch(parts[0]):
        return None
    object_id, edge = parts[1], parts[2] if len(parts) == 3 else None
    method = request.method
    with state.lock:
        if edge == "flows" and object_id in state.wabas:
            if method == "GET":
                return list_flows(state, object_id, request)
            if method == "POST":
                return create_flow(state, object_id, request)
        flow = state.flows.get(object_id)
        if flow is None:
            return None
        if edge is None and method == "GET":
            return get_flow(flow, request)
        if edge == "assets" and method == "POST":
            return upload_asset(state, flow, request)
        if edge == "publish" and method == "POST":
            return publish_flow(flow)
        if edge == "deprecate" and method == "POST":
            return deprecate_flow(flow)
    return None


def list_flows(state: FakeFlows, waba_id: str, request: GraphRequest) -> Answer:
    fields = request_fields(request, ["id", "name", "status", "categories", "validation_errors"])
    data = [flow.public(fields) for flow in state.flows.values() if flow.waba_id == waba_id]
    return 200, {"data": data, "paging": {"cursors": {"before": "QVFIU0", "after": "QVFIU1"}}}


def create_flow(state: FakeFlows, waba_id: str, request: GraphRequest) -> Answer:
    params = request_params(request)
    name, categories = params.get("name"), params.get("categories")
    if isinstance(categories, str):
        try:
            categories = json.loads(categories)
        except ValueError:
            categories = [categories]
    if not isinstance(name, str) or not name:
        return graph_error(400, 100, "The parameter name is required.")
    if not isinstance(categories, list) or not categories:
        return graph_error(400, 100, "The parameter categories is required.")
    if any(f.name == name and f.waba_id == waba_id for f in state.flows.values()):
        return graph_error(400, 100, f"A Flow named {name} already exists.")
    flow = FakeFlow(_new_id(), waba_id, name, [str(c) for c in categories],
                    endpoint_uri=params.get("endpoint_uri"))
    answer: dict[str, Any] = {"id": flow.id}
    flow_json = params.get("flow_json")
    if isinstance(flow_json, str):
        state.uploads.append((flow.id, flow_json.encode()))
        flow.flow_json, flow.validation_errors = flow_json, validate(flow_json)
        answer.update(success=True, validation_errors=flow.validation_errors)
        if params.get("publish") in (True, "true") and not flow.validation_errors:
            flow.status = "PUBLISHED"
    state.flows[flow.id] = flow
    return 200, answer


def get_flow(flow: FakeFlow, request: GraphRequest) -> Answer:
    asked = request.query.get("fields", "")
    metric = _METRIC.fullmatch(asked)
    if metric is not None:
        name, granularity, since, until = metric.groups()
        points = [p for p in flow.metrics.get(name, [])
                  if (since is None or p["timestamp"][:10] >= since)
                  and (until is None or p["timestamp"][:10] <= until)]
        if not points:
            return graph_error(400, 100, "Not enough data: the Flow has fewer than 250 requests.")
        return 200, {"id": flow.id, "metric": {"name": name, "granularity": granularity,
                                               "data_points": points}}
    return 200, flow.public(request_fields(request, ["id", "name", "status", "categories",
                                              "validation_errors"]))


def upload_asset(state: FakeFlows, flow: FakeFlow, request: GraphRequest) -> Answer:
    parts = multipart_parts(request)
    upload = parts.get("file")
    if upload is None or parts.get("asset_type") != b"FLOW_JSON":
        return graph_error(400, 100, "The parameters file and asset_type=FLOW_JSON are required.")
    state.uploads.append((flow.id, upload))
    if flow.status != "DRAFT":
        return graph_error(400, UPDATE_FAILED, "Flow can't be updated",
                      "You attempted to update a Flow that has already been published.")
    flow.flow_json = upload.decode("utf-8", "replace")
    flow.validation_errors = validate(flow.flow_json)
    return 200, {"success": True, "validation_errors": flow.validation_errors}


def publish_flow(flow: FakeFlow) -> Answer:
    if flow.status != "DRAFT":
        return graph_error(400, PUBLISH_FAILED, "Publishing Flow in invalid state",
                      f"The Flow is {flow.status}.")
    if flow.flow_json is None or flow.validation_errors:
        return graph_error(400, PUBLISH_FAILED, "Publishing Flow with validation errors",
                      "Fix the Flow JSON's validation errors before publishing.")
    flow.status = "PUBLISHED"
    return 200, {"success": True}


def deprecate_flow(flow: FakeFlow) -> Answer:
    if flow.status != "PUBLISHED":
        reason = ("Flow is already deprecated" if flow.status == "DEPRECATED"
                  else "Can't deprecate unpublished flow")
        return graph_error(400, DEPRECATE_FAILED, reason)
    flow.status = "DEPRECATED"
    return 200, {"success": True}


def _new_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def _version_of(flow_json: str | None) -> str | None:
    doc = _loads(flow_json)
    return doc.get("version") if isinstance(doc, dict) else None


def _data_api_version_of(flow_json: str | None) -> str | None:
    doc = _loads(flow_json)
    return doc.get("data_api_version") if isinstance(doc, dict) else None


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return None


def _validation(error: str, message: str, line: int) -> dict[str, Any]:
    return {"error": error, "error_type": "FLOW_JSON_ERROR", "message": message,
            "line_start": line, "line_end": line, "column_start": 1, "column_end": 1}
