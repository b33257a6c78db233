"""A WhatsApp Flow message (``interactive`` type ``flow``): a button that opens a Flow, on its
first screen (``navigate``) or on the screen the Flows endpoint answers (``data_exchange``).

To have botkit trust the Flow's answers, give it a token from ``bot.flow_tokens.issue(...)``
(``botkit.flows.flow_message`` does both in one call); without one Meta uses ``"unused"``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import InvalidFlow
from botkit.whatsapp.builders.interactive import BODY_LIMIT, header_object, interactive

FLOW_MESSAGE_VERSION = "3"
CTA_LIMIT = 20
FLOW_ACTIONS = ("navigate", "data_exchange")
MODES = ("published", "draft")
_SCREEN_ID = re.compile(r"[A-Za-z_]+")  # Meta: letters and underscores


@dataclass(frozen=True, slots=True)
class FlowMessage(MessageBuilder):
    """Open a Flow named by ``flow_id`` or ``flow_name`` (exactly one) with the button
    ``flow_cta`` (20 characters, no emoji) under ``body`` (1,024)."""

    body: str
    flow_cta: str
    flow_id: str | None = None
    flow_name: str | None = None
    flow_token: str | None = None
    flow_action: str = "navigate"
    screen: str | None = None
    data: Mapping[str, Any] | None = None
    header: str | None = None
    footer: str | None = None
    mode: str = "published"

    def __post_init__(self) -> None:
        if (self.flow_id is None) == (self.flow_name is None):
            raise InvalidFlow("flow_id", "give exactly one of flow_id or flow_name")
        check.optional_text(self.flow_id, "flow_id")
        check.optional_text(self.flow_name, "flow_name")
        check.optional_text(self.flow_token, "flow_token")
        cta = check.text(self.flow_cta, "flow_cta", CTA_LIMIT)
        if any(unicodedata.category(c) == "So" for c in cta):
            raise InvalidFlow("flow_cta", "must not contain emoji")
        if self.mode not in MODES:
            raise InvalidFlow("mode", f"must be one of {', '.join(MODES)}, not {self.mode!r}")
        self._check_action()
        self.to_body()

    def _check_action(self) -> None:
        if self.flow_action not in FLOW_ACTIONS:
            raise InvalidFlow("flow_action", f"must be one of {', '.join(FLOW_ACTIONS)}, "
                              f"not {self.flow_action!r}")
        if self.flow_action == "data_exchange":
            if self.screen is not None or self.data is not None:
                raise InvalidFlow("screen", "a data_exchange Flow asks the endpoint for its "
                                  "first screen: give no screen and no data")
            return
        if not isinstance(self.screen, str) or not _SCREEN_ID.fullmatch(self.screen):
            raise InvalidFlow("screen", "a navigate Flow needs the id of its first screen "
                              f"(letters and underscores), got {self.screen!r}")
        if self.data is not None:
            if not isinstance(self.data, Mapping) or not self.data:
                raise InvalidFlow("data", "must be a non-empty mapping when given")
            try:
                frozen = json.loads(json.dumps(dict(self.data)))
            except (TypeError, ValueError):
                raise InvalidFlow("data", "must be JSON-serialisable") from None
            object.__setattr__(self, "data", frozen)

    def to_body(self) -> dict[str, Any]:
        parameters: dict[str, Any] = {"flow_message_version": FLOW_MESSAGE_VERSION}
        if self.flow_token is not None:
            parameters["flow_token"] = self.flow_token
        if self.flow_id is not None:
            parameters["flow_id"] = self.flow_id
        else:
            parameters["flow_name"] = self.flow_name
        parameters["flow_cta"] = self.flow_cta
        parameters["flow_action"] = self.flow_action
        if self.flow_action == "navigate":
            payload: dict[str, Any] = {"screen": self.screen}
            if self.data is not None:
                payload["data"] = json.loads(json.dumps(dict(self.data)))
            parameters["flow_action_payload"] = payload
        if self.mode != "published":
            parameters["mode"] = self.mode
        content = interactive("flow", self.body, body_limit=BODY_LIMIT,
                              header=header_object(self.header, "flow", media=False),
                              footer=self.footer, what="Flow message")
        content["action"] = {"name": "flow", "parameters": parameters}
        return {"type": "interactive", "interactive": content}
