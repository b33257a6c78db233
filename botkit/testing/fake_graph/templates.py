"""The fake Graph API's message template management: ``/{waba_id}/message_templates``.

``GET`` lists the account's templates in pages (``limit``, the ``after`` cursor, ``fields``,
``paging.next`` while more remain), ``POST`` creates one after the checks Meta makes first
(name, language, category, components with a body, no second template of the same name and
language), ``DELETE`` removes one by ``name`` (every language) or by ``name`` and ``hsm_id``.
Errors are Meta's code 100 with the reason in ``error_data.details``.

A test declares templates with :func:`fake_templates`::

    library = fake_templates(fake)
    library.add("104996122399160", {"name": "order_shipped", "language": "en_US",
                                    "category": "UTILITY", "components": [...]})

An account answers once it has templates here or was declared with ``fake.add_waba``; for
any other id the request falls through to Meta's "object does not exist".
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botkit.testing.fake_graph.route import GraphFake, Route
from botkit.testing.fake_graph.wire import RecordedRequest, Reply, graph_error, json_reply

DEFAULT_LIMIT = 25
_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_CATEGORIES = ("AUTHENTICATION", "MARKETING", "UTILITY")
_LIBRARY_KEY = "message_templates"


@dataclass
class FakeTemplates:
    """The templates the fake keeps, per account, in creation order; ``create_status`` is the
    status a created template gets (Meta's is PENDING until review)."""

    lock: threading.Condition
    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    create_status: str = "PENDING"
    next_id: int = 1_000_000_000_000_000

    def add(self, waba_id: str, template: Mapping[str, Any], *, status: str = "APPROVED",
            quality: str = "GREEN") -> dict[str, Any]:
        """Declare a template as Meta would list it; returns it with its new ``id``."""
        with self.lock:
            stored = {"parameter_format": "POSITIONAL", **copy.deepcopy(dict(template)),
                      "id": self.new_id(), "status": status,
                      "quality_score": {"score": quality}}
            self.accounts.setdefault(waba_id, []).append(stored)
            return copy.deepcopy(stored)

    def set_status(self, waba_id: str, name: str, language: str, status: str) -> None:
        with self.lock:
            for template in self.accounts.get(waba_id, []):
                if template["name"] == name and template["language"] == language:
                    template["status"] = status

    def templates(self, waba_id: str) -> list[dict[str, Any]]:
        """A copy of the account's templates, in the order they are listed."""
        with self.lock:
            return copy.deepcopy(self.accounts.get(waba_id, []))

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)


def fake_templates(fake: GraphFake) -> FakeTemplates:
    """The template library of this fake (made on first use, kept with its state)."""
    state = fake.state
    with state.lock:
        kept = vars(state).setdefault(_LIBRARY_KEY, FakeTemplates(state.lock))
    assert isinstance(kept, FakeTemplates)
    return kept


def message_templates(fake: GraphFake, request: RecordedRequest,
                      match: re.Match[str]) -> Reply | None:
    library, waba_id = fake_templates(fake), match["waba_id"]
    with library.lock:
        known = waba_id in library.accounts or waba_id in fake.state.wabas
    if not known:
        return None
    if request.method == "GET":
        return _list(fake, library, waba_id, request, match["version"])
    if request.method == "POST":
        return _create(library, waba_id, request)
    if request.method == "DELETE":
        return _delete(library, waba_id, request.params)
    return None


def _list(fake: GraphFake, library: FakeTemplates, waba_id: str, request: RecordedRequest,
          version: str) -> Reply:
    params = request.query
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
        start = _offset(params["after"]) if "after" in params else 0
    except ValueError as exc:
        return graph_error(400, 100, "Invalid parameter", str(exc))
    if limit < 1:
        return graph_error(400, 100, "Invalid parameter", "limit must be a positive integer")
    fields = [f for f in params.get("fields", "").split(",") if f]
    everything = library.templates(waba_id)
    page = everything[start:start + limit]
    data = [{key: value for key, value in t.items() if not fields or key in fields or key == "id"}
            for t in page]
    body: dict[str, Any] = {"data": data}
    if page:
        after = _cursor(start + len(page))
        body["paging"] = {"cursors": {"before": _cursor(start), "after": after}}
        if start + len(page) < len(everything):
            query = {key: value for key, value in params.items()
                     if key not in ("after", "access_token")}
            link = "&".join(f"{key}={value}" for key, value in {**query, "after": after}.items())
            body["paging"]["next"] = (f"{fake.url}/{version}/{waba_id}/message_templates?"
                                      f"{link}")
    return json_reply(body)


def _create(library: FakeTemplates, waba_id: str, request: RecordedRequest) -> Reply:
    document = request.json if isinstance(request.json, dict) else request.form
    for name in ("name", "language", "category", "components"):
        if not document.get(name):
            return graph_error(400, 100, f"The parameter {name} is required.")
    components = document["components"]
    if isinstance(components, str):
        try:
            components = json.loads(components)
        except ValueError:
            return graph_error(400, 100, "Invalid parameter", "components is not valid JSON.")
    name, language, category = document["name"], document["language"], document["category"]
    problem = None
    if not isinstance(name, str) or not _NAME.match(name):
        problem = "Template name can only contain lowercase letters, numbers and underscores."
    elif category not in _CATEGORIES:
        problem = f"Invalid category {category!r}."
    elif not isinstance(components, list) or (category != "AUTHENTICATION" and not any(
            isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY"
            for c in components)):
        problem = "A template needs a BODY component."
    if problem is not None:
        return graph_error(400, 100, "Invalid parameter", problem)
    with library.lock:
        if any(t["name"] == name and t["language"] == language
               for t in library.accounts.get(waba_id, [])):
            return graph_error(400, 100, "Invalid parameter",
                               f"Content in this language already exists for {name}.")
        stored = {"name": name, "language": language, "category": category,
                  "parameter_format": document.get("parameter_format", "POSITIONAL"),
                  "components": components, "id": library.new_id(),
                  "status": library.create_status, "quality_score": {"score": "UNKNOWN"}}
        library.accounts.setdefault(waba_id, []).append(stored)
    return json_reply({"id": stored["id"], "status": stored["status"], "category": category})


def _delete(library: FakeTemplates, waba_id: str, params: dict[str, str]) -> Reply:
    name, template_id = params.get("name"), params.get("hsm_id")
    if not name:
        return graph_error(400, 100, "The parameter name is required.")
    with library.lock:
        kept = library.accounts.get(waba_id, [])
        remaining = [t for t in kept if not (
            t["name"] == name and (template_id is None or t["id"] == template_id))]
        if len(remaining) == len(kept):
            return graph_error(400, 100, "Invalid parameter",
                               f"Message template {name!r} was not found.")
        library.accounts[waba_id] = remaining
    return json_reply({"success": True})


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(f"Invalid cursor {cursor!r}") from None
    kind, _, offset = text.partition(":")
    if kind != "offset" or not offset.isdigit():
        raise ValueError(f"Invalid cursor {cursor!r}")
    return int(offset)


ROUTES = [
    Route("*", r"/(?P<version>v\d+\.\d+)/(?P<waba_id>[^/]+)/message_templates",
          message_templates),
]
