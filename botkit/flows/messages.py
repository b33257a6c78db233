"""Sending a Flow: the interactive ``flow`` message, with a flow token botkit can trust later.

:func:`flow_message` builds the message a plugin returns from ``reply_for_message`` or passes to
``bot.whatsapp.send``. Meta's limits are checked here, before anything is sent, each failure a
:class:`FlowMessageError` naming the field; and the ``flow_token`` is issued through
``bot.flow_tokens``, bound to the business number, the customer, the plugin and an expiry, so
the endpoint and :func:`flow_completion_claims` can tell, without any lookup, which plugin's Flow
a request or a completion message belongs to.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from botkit.errors import BotkitError
from botkit.flows.handlers import SCREEN_ID, SUCCESS_SCREEN
from botkit.flows.tokens import FlowTokenClaims, FlowTokenError, FlowTokens

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.events import Message

NAVIGATE: Final = "navigate"
DATA_EXCHANGE: Final = "data_exchange"
FLOW_ACTIONS = (NAVIGATE, DATA_EXCHANGE)
MODES = ("published", "draft")
FLOW_MESSAGE_VERSION = "3"
DEFAULT_TOKEN_TTL_SECONDS = 86400
# Meta's limits for interactive Flow messages, in characters.
BODY_LIMIT = 1024
HEADER_LIMIT = 60
FOOTER_LIMIT = 60
CTA_LIMIT = 20


class FlowMessageError(BotkitError, ValueError):
    """A Flow message Meta would refuse; ``field`` names the argument at fault."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


class FlowsNotConfiguredError(BotkitError):
    """``bot.flow_tokens`` is missing: the settings have no ``[flows]`` table."""

    def __init__(self) -> None:
        super().__init__("bot.flow_tokens is not set: add a [flows] table to the settings to "
                         "send Flows whose tokens botkit issues")


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise FlowMessageError(field, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise FlowMessageError(field, "must not be empty")
    if len(value) > limit:
        raise FlowMessageError(field, f"is limited to {limit} characters, got {len(value)}")
    return value


def _has_emoji(text: str) -> bool:
    return any(unicodedata.category(c) == "So" or 0x1F000 <= ord(c) <= 0x1FAFF
               or c in "\u200d\ufe0f" for c in text)


def _tokens_of(bot: Bot) -> FlowTokens:
    tokens = getattr(bot, "flow_tokens", None)
    if not isinstance(tokens, FlowTokens):
        raise FlowsNotConfiguredError()
    return tokens


def _default_ttl(bot: Bot) -> int:
    flows = getattr(bot.settings, "flows", None)
    return int(getattr(flows, "token_ttl_seconds", DEFAULT_TOKEN_TTL_SECONDS))


def _action_parameters(flow_action: str, screen: str | None,
                       data: Mapping[str, Any] | None) -> dict[str, Any]:
    if flow_action not in FLOW_ACTIONS:
        raise FlowMessageError("flow_action", f"must be one of {', '.join(FLOW_ACTIONS)}, "
                               f"not {flow_action!r}")
    if flow_action == DATA_EXCHANGE:
        if screen is not None or data is not None:
            raise FlowMessageError("screen", "a data_exchange Flow asks the endpoint for its "
                                   "first screen: give no screen and no data")
        return {"flow_action": DATA_EXCHANGE}
    if screen is None:
        raise FlowMessageError("screen", "a navigate Flow needs the id of its first screen")
    if not isinstance(screen, str) or not SCREEN_ID.fullmatch(screen) or screen == SUCCESS_SCREEN:
        raise FlowMessageError("screen", f"{screen!r} is not a screen id (letters and "
                               f"underscores, not {SUCCESS_SCREEN})")
    payload: dict[str, Any] = {"screen": screen}
    if data is not None:
        if not isinstance(data, Mapping) or not data:
            raise FlowMessageError("data", "must be a non-empty mapping when given")
        try:
            payload["data"] = json.loads(json.dumps(dict(data)))
        except (TypeError, ValueError):
            raise FlowMessageError("data", "must be JSON-serialisable") from None
    return {"flow_action": NAVIGATE, "flow_action_payload": payload}


def flow_message(bot: Bot, *, phone_number_id: str, wa_id: str, plugin: str, body: str,
                 flow_cta: str, flow_id: str | None = None, flow_name: str | None = None,
                 flow_action: str = NAVIGATE, screen: str | None = None,
                 data: Mapping[str, Any] | None = None, header: str | None = None,
                 footer: str | None = None, mode: str = "published",
                 ttl_seconds: int | None = None) -> dict[str, Any]:
    """An interactive Flow message from business number ``phone_number_id`` to customer
    ``wa_id``, sent by ``plugin``: ``{"type": "interactive", "interactive": {...}}``.

    Name the Flow by ``flow_id`` or ``flow_name`` (exactly one); the token's ``flow_id`` claim,
    which handlers match on, is whichever is given. ``flow_action="navigate"`` opens
    ``screen`` with ``data``; ``"data_exchange"`` asks the endpoint (an ``INIT`` request) for the
    first screen. The token expires after ``ttl_seconds`` (default: ``[flows]
    token_ttl_seconds``). Raises :class:`FlowMessageError` for anything Meta would refuse.
    """
    if (flow_id is None) == (flow_name is None):
        raise FlowMessageError("flow_id", "give exactly one of flow_id or flow_name")
    flow = _text(flow_id if flow_id is not None else flow_name,
                 "flow_id" if flow_id is not None else "flow_name", 200)
    for name, value in (("phone_number_id", phone_number_id), ("wa_id", wa_id),
                        ("plugin", plugin)):
        _text(value, name, 200)
    if _has_emoji(_text(flow_cta, "flow_cta", CTA_LIMIT)):
        raise FlowMessageError("flow_cta", "must not contain emoji")
    if mode not in MODES:
        raise FlowMessageError("mode", f"must be one of {', '.join(MODES)}, not {mode!r}")
    parameters: dict[str, Any] = {"flow_message_version": FLOW_MESSAGE_VERSION}
    parameters["flow_id" if flow_id is not None else "flow_name"] = flow
    parameters["flow_cta"] = flow_cta
    parameters.update(_action_parameters(flow_action, screen, data))
    if mode != "published":
        parameters["mode"] = mode
    interactive: dict[str, Any] = {"type": "flow"}
    if header is not None:
        interactive["header"] = {"type": "text", "text": _text(header, "header", HEADER_LIMIT)}
    interactive["body"] = {"text": _text(body, "body", BODY_LIMIT)}
    if footer is not None:
        interactive["footer"] = {"text": _text(footer, "footer", FOOTER_LIMIT)}
    ttl = _default_ttl(bot) if ttl_seconds is None else ttl_seconds
    if not isinstance(ttl, int) or ttl < 1:
        raise FlowMessageError("ttl_seconds", "must be a whole number of seconds, at least 1")
    parameters["flow_token"] = _tokens_of(bot).issue(
        phone_number_id=phone_number_id, wa_id=wa_id, plugin=plugin, flow_id=flow,
        ttl_seconds=ttl)
    interactive["action"] = {"name": "flow", "parameters": parameters}
    return {"type": "interactive", "interactive": interactive}


def _completion_token(message: Message) -> str | None:
    if message.type != "interactive":
        return None
    content = message.content
    reply = content.get("nfm_reply") if content.get("type") == "nfm_reply" else None
    response = reply.get("response_json") if isinstance(reply, Mapping) else None
    if not isinstance(response, str):
        return None
    try:
        answers = json.loads(response)
    except ValueError:
        return None
    token = answers.get("flow_token") if isinstance(answers, dict) else None
    return token if isinstance(token, str) else None


def _same_party(claimed: str, *given: str | None) -> bool:
    return any(value is not None and value.lstrip("+") == claimed.lstrip("+") for value in given)


def flow_completion_claims(message: Message, bot: Bot, *, plugin: str | None = None
                           ) -> FlowTokenClaims | None:
    """The verified claims of the Flow that ``message`` completes, or None.

    None when the message is not a Flow completion (``nfm_reply``), its ``flow_token`` is not
    one this bot issued (forged, expired, or from a Flow sent without botkit), it comes from
    another customer or business number than the token names, or the token belongs to another
    plugin than ``plugin`` (when given). Every plugin sees every message: pass ``plugin`` to
    keep to your own Flows.
    """
    token = _completion_token(message)
    if token is None:
        return None
    try:
        claims = _tokens_of(bot).verify(token)
    except FlowTokenError:
        return None
    if not _same_party(claims.wa_id, message.sender, message.sender_user_id):
        return None
    if message.phone_number_id is not None and message.phone_number_id != claims.phone_number_id:
        return None
    if plugin is not None and claims.plugin != plugin:
        return None
    return claims
