"""Meta's Flows management API: list, show, create, upload Flow JSON, publish, deprecate,
metrics.

A Flow lives in a WhatsApp Business Account (``/{waba_id}/flows``) and moves from ``DRAFT`` (its
Flow JSON can change) to ``PUBLISHED`` (frozen, sendable to anyone) to ``DEPRECATED`` (no longer
sendable). Flow JSON is checked locally with :func:`check_flow_json` before any upload, so a
broken document never reaches Meta; Meta's own validation errors come back with the upload and
are returned as they are. Graph errors become :class:`FlowsApiError` with Meta's code and
message; the access token never appears in any message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from botkit.errors import BotkitError
from botkit.flows.flow_json import check_flow_json

CATEGORIES = ("SIGN_UP", "SIGN_IN", "APPOINTMENT_BOOKING", "LEAD_GENERATION", "CONTACT_US",
              "CUSTOMER_SUPPORT", "SURVEY", "SHOPPING", "OTHER")
METRICS = ("ENDPOINT_REQUEST_COUNT", "ENDPOINT_REQUEST_ERROR", "ENDPOINT_REQUEST_ERROR_RATE",
           "ENDPOINT_REQUEST_LATENCY_SECONDS_CEIL", "ENDPOINT_AVAILABILITY")
GRANULARITIES = ("DAY", "HOUR", "LIFETIME")
DETAIL_FIELDS = ("id", "name", "status", "categories", "validation_errors", "json_version",
                 "data_api_version", "endpoint_uri", "preview", "health_status")
LIST_FIELDS = ("id", "name", "status", "categories", "validation_errors")
MAX_PAGES = 50  # a WABA with more than 50 pages of Flows is not something to print
_ID = re.compile(r"[0-9]{1,30}")
_API_VERSION = re.compile(r"v[0-9]+\.[0-9]+")


class FlowsApiError(BotkitError):
    """A Flows management call failed; the message says which call, Meta's code and why."""

    def __init__(self, message: str, code: int | None = None) -> None:
        self.code = code
        super().__init__(message)


class FlowJsonRejected(BotkitError):
    """The Flow JSON failed the local checks; nothing was uploaded. ``problems`` lists all."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("the Flow JSON was not uploaded:\n" + "\n".join(
            f"  - {problem}" for problem in self.problems))


@dataclass(frozen=True)
class FlowInfo:
    """A Flow as Meta describes it; ``raw`` keeps every field that was returned."""

    id: str
    name: str
    status: str
    categories: tuple[str, ...]
    validation_errors: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_graph(cls, data: Mapping[str, Any]) -> FlowInfo:
        errors = data.get("validation_errors")
        return cls(id=str(data.get("id", "?")), name=str(data.get("name", "")),
                   status=str(data.get("status", "?")),
                   categories=tuple(str(c) for c in data.get("categories") or ()),
                   validation_errors=tuple(e for e in errors or () if isinstance(e, Mapping)),
                   raw=dict(data))


@dataclass(frozen=True)
class UploadResult:
    """What Meta said of uploaded Flow JSON: the Flow id and its validation errors, if any."""

    flow_id: str
    validation_errors: tuple[Mapping[str, Any], ...]


def describe_validation_error(error: Mapping[str, Any]) -> str:
    """One line for one of Meta's validation errors: where, which error, what it says."""
    where = ""
    if error.get("line_start") is not None:
        where = f"line {error['line_start']}"
        if error.get("column_start") is not None:
            where += f", column {error['column_start']}"
        where += ": "
    kind = error.get("error") or error.get("error_type") or "error"
    return f"{where}{kind}: {error.get('message', '')}".rstrip(": ")


def checked_id(value: str, what: str) -> str:
    """``value`` when it looks like a Graph object id (digits); ValueError naming ``what``."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(f"{what} must be a Graph id (digits only), got {value!r}")
    return value


def parse_flow_json(text: str | bytes) -> Any:
    """The Flow JSON document in ``text``, or :class:`FlowJsonRejected` saying where it is not
    JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FlowJsonRejected([f"$: not valid JSON: {exc.msg} at line {exc.lineno}, "
                                f"column {exc.colno}"]) from None
    except UnicodeDecodeError:
        raise FlowJsonRejected(["$: not UTF-8 text"]) from None


def _checked_document(flow_json: str | bytes) -> str:
    doc = parse_flow_json(flow_json)
    problems = check_flow_json(doc)
    if problems:
        raise FlowJsonRejected(problems)
    return flow_json.decode("utf-8") if isinstance(flow_json, bytes) else flow_json


def metric_field(metric: str, granularity: str, since: date | None = None,
                 until: date | None = None) -> str:
    """The ``fields`` value that asks for one metric: ``metric.name(X).granularity(Y)...``."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, "
                         f"got {granularity!r}")
    text = f"metric.name({metric}).granularity({granularity})"
    if since is not None:
        text += f".since({since.isoformat()})"
    if until is not None:
        text += f".until({until.isoformat()})"
    return text


class FlowsManager:
    """Flows management calls with one access token; ``async with`` closes the HTTP client."""

    def __init__(self, *, access_token: str, graph_url: str = "https://graph.facebook.com",
                 api_version: str = "v23.0", timeout: float = 30.0,
                 http: httpx.AsyncClient | None = None) -> None:
        if not access_token:
            raise ValueError("an access token is required for the Flows management API")
        if not _API_VERSION.fullmatch(api_version):
            raise ValueError(f"api_version must look like 'v23.0', got {api_version!r}")
        self._base = f"{graph_url.rstrip('/')}/{api_version}"
        self._headers = {"Authorization": f"Bearer {access_token}", "User-Agent": "botkit"}
        self._http = http or httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._own_http = http is None

    def __repr__(self) -> str:
        return f"FlowsManager(base={self._base!r})"

    async def __aenter__(self) -> FlowsManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def _call(self, what: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = path if path.startswith(("http://", "https://")) else f"{self._base}/{path}"
        try:
            response = await self._http.request(method, url, headers=self._headers, **kwargs)
        except httpx.HTTPError as exc:
            raise FlowsApiError(f"{what}: the Graph API cannot be reached "
                                f"({type(exc).__name__})") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 400 or not isinstance(answer, dict):
            raise _graph_failure(what, response.status_code, answer)
        return answer

    async def list_flows(self, waba_id: str) -> list[FlowInfo]:
        """Every Flow of the WhatsApp Business Account, following Meta's pages."""
        path = f"{checked_id(waba_id, 'the WABA id')}/flows"
        params: dict[str, str] | None = {"fields": ",".join(LIST_FIELDS)}
        flows: list[FlowInfo] = []
        for _ in range(MAX_PAGES):
            answer = await self._call(f"listing the Flows of {waba_id}", "GET", path,
                                      params=params)
            flows.extend(FlowInfo.from_graph(item) for item in answer.get("data") or ()
                         if isinstance(item, Mapping))
            following = (answer.get("paging") or {}).get("next")
            if not isinstance(following, str) or not following.startswith(self._base):
                break
            path, params = following, None
        return flows

    async def get_flow(self, flow_id: str, fields: Sequence[str] = DETAIL_FIELDS) -> FlowInfo:
        """The Flow's details (``fields`` to ask for more or fewer)."""
        answer = await self._call(f"reading Flow {flow_id}", "GET",
                                  checked_id(flow_id, "the Flow id"),
                                  params={"fields": ",".join(fields)})
        return FlowInfo.from_graph(answer)

    async def create_flow(self, waba_id: str, name: str, categories: Sequence[str], *,
                          flow_json: str | bytes | None = None, endpoint_uri: str | None = None,
                          publish: bool = False) -> UploadResult:
        """A new Flow in ``DRAFT`` (published at once with ``publish`` and valid Flow JSON).

        ``flow_json`` is checked locally first: :class:`FlowJsonRejected` means nothing was sent.
        """
        checked_id(waba_id, "the WABA id")
        if not name or not isinstance(name, str):
            raise ValueError("a Flow needs a name")
        unknown = [c for c in categories if c not in CATEGORIES]
        if not categories or unknown:
            raise ValueError(f"categories must be one or more of {', '.join(CATEGORIES)}"
                             + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        body: dict[str, Any] = {"name": name, "categories": list(categories)}
        if flow_json is not None:
            body["flow_json"] = _checked_document(flow_json)
            if publish:
                body["publish"] = True
        elif publish:
            raise ValueError("only a Flow created with its Flow JSON can be published at once")
        if endpoint_uri is not None:
            body["endpoint_uri"] = endpoint_uri
        answer = await self._call(f"creating Flow {name!r}", "POST", f"{waba_id}/flows",
                                  json=body)
        return UploadResult(str(answer.get("id", "?")), _errors(answer))

    async def update_flow_json(self, flow_id: str, flow_json: str | bytes) -> UploadResult:
        """Upload new Flow JSON for a ``DRAFT`` Flow, after the local checks pass."""
        checked_id(flow_id, "the Flow id")
        document = _checked_document(flow_json)
        answer = await self._call(
            f"uploading the Flow JSON of {flow_id}", "POST", f"{flow_id}/assets",
            data={"name": "flow.json", "asset_type": "FLOW_JSON"},
            files={"file": ("flow.json", document.encode("utf-8"), "application/json")})
        return UploadResult(flow_id, _errors(answer))

    async def publish(self, flow_id: str) -> None:
        """Publish the Flow: its Flow JSON can no longer change."""
        await self._call(f"publishing Flow {flow_id}", "POST",
                         f"{checked_id(flow_id, 'the Flow id')}/publish")

    async def deprecate(self, flow_id: str) -> None:
        """Deprecate a published Flow: it can no longer be sent."""
        await self._call(f"deprecating Flow {flow_id}", "POST",
                         f"{checked_id(flow_id, 'the Flow id')}/deprecate")

    async def metric(self, flow_id: str, metric: str, granularity: str, *,
                     since: date | None = None, until: date | None = None) -> dict[str, Any]:
        """One endpoint metric of the Flow as Meta returns it: ``name``, ``granularity`` and
        ``data_points`` (each a ``timestamp`` and ``data`` of ``key``/``value`` pairs)."""
        answer = await self._call(
            f"reading metric {metric} of Flow {flow_id}", "GET",
            checked_id(flow_id, "the Flow id"),
            params={"fields": metric_field(metric, granularity, since, until)})
        found = answer.get("metric")
        if not isinstance(found, dict):
            raise FlowsApiError(f"reading metric {metric} of Flow {flow_id}: the answer has no "
                                f"metric")
        return found


def _errors(answer: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    errors = answer.get("validation_errors")
    return tuple(e for e in errors if isinstance(e, Mapping)) if isinstance(errors, list) else ()


def _graph_failure(what: str, status: int, answer: Any) -> FlowsApiError:
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return FlowsApiError(f"{what}: the Graph API answered HTTP {status} without an error "
                             f"object")
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = re.sub(r"^\(#\d+\)\s*", "", str(error.get("message") or "no message"))
    data = error.get("error_data")
    explained = [str(text) for text in (error.get("error_user_msg"),
                                        data.get("details") if isinstance(data, dict) else None)
                 if text and str(text) not in message]
    extra = f" ({'; '.join(dict.fromkeys(explained))})" if explained else ""
    return FlowsApiError(f"{what}: Graph API error {code if code is not None else '?'}: "
                         f"{message}{extra}", code)
