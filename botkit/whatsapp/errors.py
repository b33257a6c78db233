"""Typed Graph API errors, and the classification of Meta's error codes into retry or not.

Meta documents that errors must be classified by ``error.code``, not by HTTP status: a throughput
error (130429) arrives as HTTP 400, while an HTTP 500 can carry a permanent code. The HTTP status
only decides when the body carries no Graph error object or an unknown code.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from botkit.errors import BotkitError

TRANSIENT_CODES = frozenset({1, 2, 131000, 131016, 131057, 133004})
RATE_LIMIT_CODES = frozenset({4, 80007, 130429})
PAIR_RATE_LIMIT_CODE = 131056
RE_ENGAGEMENT_CODE = 131047
AUTH_CODES = frozenset({0, 10, 190, 131005, *range(200, 300)})
INVALID_REQUEST_CODES = frozenset({100, 131008, 131009})
PERMANENT_CODES = frozenset(
    {368, 2200, 131026, 131031, 131042, 131048, 131049, 131051, 131062, 133016}
)
TEMPLATE_CODES = range(132000, 133000)

_HINTS: dict[int, str] = {
    0: "the token cannot be used for this call; check the token and the app's permissions",
    1: "Meta reported an unknown error; retry later",
    2: "the Graph API is temporarily unavailable; retry with backoff",
    4: "the app made too many API calls; slow down and retry later",
    10: "the token lacks a permission for this call; grant whatsapp_business_messaging "
    "and whatsapp_business_management to the system user and its assets",
    100: "a parameter is invalid or the object does not exist; fix the request (see details)",
    190: "the access token expired or was revoked; refresh it (a system-user token does not "
    "expire) and update the settings",
    368: "the account is temporarily blocked for policy violations; see WhatsApp Manager",
    2200: "the callback URL must answer the verification GET with HTTP 200 and the bare "
    "hub.challenge value when hub.verify_token matches",
    80007: "the WhatsApp Business Account reached its rate limit; retry later",
    130429: "the phone number reached its throughput (messages per second); slow down",
    131000: "Meta reported an internal error; retry a few times",
    131005: "permission was not granted or was revoked; check the token's permissions",
    131008: "a required parameter is missing; fix the request",
    131009: "a parameter value is invalid; fix the request",
    131016: "a Meta service is temporarily unavailable; retry with backoff",
    131026: "the message cannot be delivered (recipient not on WhatsApp, old app, or terms "
    "not accepted); do not retry",
    131031: "the business account is locked; resolve it in WhatsApp Manager",
    131042: "there is a payment problem on the business account; fix the payment method",
    131047: "more than 24 hours passed since the user last wrote; only a template message "
    "can be sent now",
    131048: "messages were restricted for spam (quality); improve quality, do not retry "
    "automatically",
    131049: "Meta withheld this marketing message for ecosystem health; do not retry right away",
    131051: "this message type is not supported; send a supported type",
    131056: "too many messages to this user in a short time (pair rate limit); wait before "
    "messaging this user again",
    131057: "the business account is in maintenance mode; retry in about a minute",
    131062: "this message cannot be sent to a business-scoped user id; send to the phone number",
    132000: "the number of template parameters does not match the template; fix the components",
    132001: "the template does not exist in this language or is not approved; check the name "
    "and language code",
    132012: "a template parameter has the wrong format; fix the components",
    132015: "the template is paused for low quality; edit it or use another template",
    132016: "the template is disabled; use another template",
    133004: "the server is temporarily unavailable; retry later",
    133016: "too many registration attempts; wait until the block lifts",
}


class GraphError(BotkitError):
    """A Graph API call failed; ``hint`` says what to do, ``retryable`` whether to try again."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        fbtrace_id: str | None = None,
        details: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id
        self.details = details
        self.hint = hint
        self.retry_after = retry_after


class TransientGraphError(GraphError):
    """A failure that the same request may not meet again: retried with backoff."""

    retryable = True


class RateLimited(TransientGraphError):
    """Meta asked to slow down (app, account or throughput limit, or HTTP 429)."""


class PairRateLimited(RateLimited):
    """Too many messages to one user in a short time (131056); only that user must wait."""


class PermanentGraphError(GraphError):
    """Sending the same request again cannot succeed; something must change first."""


class ReEngagementRequired(PermanentGraphError):
    """The 24-hour customer-service window is closed (131047); only templates may be sent."""


class AuthError(PermanentGraphError):
    """The token is expired, invalid or lacks a permission (190, 0, 10, 200-299)."""


class InvalidRequest(PermanentGraphError):
    """The request itself is wrong (100, 131008, 131009); fix the call."""


class OutcomeUnknown(GraphError):
    """The request may have reached Meta but no answer came back.

    Re-sending could deliver the message twice, so it is never retried automatically; the
    statuses webhook tells whether the message went out.
    """


def classify(
    status: int,
    body: Any,
    *,
    retry_after: float | None = None,
    redact: Iterable[str] = (),
) -> GraphError:
    """Turn an unsuccessful Graph answer into the matching typed error.

    ``body`` is the decoded JSON (or anything else when the answer was not JSON); every string in
    ``redact`` is masked in the message, so a token that Meta echoes never reaches a log.
    """
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        cls = _class_for_status(status)
        hint = "retry later" if cls.retryable else "check the request and the Graph API URL"
        message = f"Graph API answered HTTP {status} without a Graph error object; {hint}"
        return cls(message, http_status=status, hint=hint, retry_after=retry_after)
    code = _as_int(error.get("code"))
    subcode = _as_int(error.get("error_subcode"))
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, Mapping) else None
    details = str(details) if details is not None else None
    fbtrace_id = error.get("fbtrace_id")
    cls = _class_for_code(code) or _class_for_status(status)
    hint = _hint_for(code, cls)
    meta_message = str(error.get("message") or "no message")
    parts = [f"Graph API error {code}" + (f"/{subcode}" if subcode is not None else "")]
    parts.append(f" (HTTP {status}): {meta_message}")
    if details and details not in meta_message:
        parts.append(f"; {details}")
    parts.append(f". What to do: {hint}.")
    if fbtrace_id:
        parts.append(f" [fbtrace_id {fbtrace_id}]")
    message = _redact("".join(parts), redact)
    return cls(
        message,
        code=code,
        subcode=subcode,
        http_status=status,
        fbtrace_id=str(fbtrace_id) if fbtrace_id else None,
        details=_redact(details, redact) if details else None,
        hint=hint,
        retry_after=retry_after,
    )


def from_transport_error(exc: httpx.TransportError, *, may_resend: bool, target: str) -> GraphError:
    """Map an httpx failure to a typed error, telling apart "never sent" from "maybe delivered".

    A refused or timed-out connection means Meta never saw the request, so any call may be
    retried. Once the request was written, only calls that are safe to repeat (``may_resend``)
    are retried; a message send becomes :class:`OutcomeUnknown`.
    """
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        hint = "check the network and the Graph API URL; retry later"
        return TransientGraphError(f"could not connect to {target} ({reason}); {hint}", hint=hint)
    if may_resend:
        hint = "retry later"
        return TransientGraphError(f"no answer from {target} ({reason}); {hint}", hint=hint)
    hint = (
        "the message may or may not have been sent; it is not re-sent automatically to avoid "
        "a duplicate; watch the statuses webhook"
    )
    return OutcomeUnknown(f"the answer from {target} was lost ({reason}); {hint}", hint=hint)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Read a ``Retry-After`` header (seconds or an HTTP date) as seconds to wait."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def _class_for_code(code: int | None) -> type[GraphError] | None:
    if code is None:
        return None
    if code == PAIR_RATE_LIMIT_CODE:
        return PairRateLimited
    if code in RATE_LIMIT_CODES:
        return RateLimited
    if code in TRANSIENT_CODES:
        return TransientGraphError
    if code == RE_ENGAGEMENT_CODE:
        return ReEngagementRequired
    if code in AUTH_CODES:
        return AuthError
    if code in INVALID_REQUEST_CODES:
        return InvalidRequest
    if code in PERMANENT_CODES or code in TEMPLATE_CODES:
        return PermanentGraphError
    return None


def _class_for_status(status: int) -> type[GraphError]:
    if status == 429:
        return RateLimited
    if status >= 500:
        return TransientGraphError
    if status == 401:
        return AuthError
    return PermanentGraphError


def _hint_for(code: int | None, cls: type[GraphError]) -> str:
    if code in _HINTS:
        return _HINTS[code]
    if code is not None and 200 <= code < 300:
        return _HINTS[10]
    if code is not None and code in TEMPLATE_CODES:
        return "the template or its parameters were rejected; check the template"
    return "retry later" if cls.retryable else "check the request (see details)"


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
