"""Messages that ask the customer for something only WhatsApp can give: their location, or
permission to call them. Each is a body (1,024 characters) above a button Meta draws."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.interactive import interactive


@dataclass(frozen=True, slots=True)
class LocationRequest(MessageBuilder):
    """Asks the customer to share their location: a body (1,024) and a "Send location"
    button; the answer arrives as a ``location`` message."""

    body: str

    def __post_init__(self) -> None:
        self.to_body()

    def to_body(self) -> dict[str, Any]:
        content = interactive("location_request_message", self.body, what="location request")
        content["action"] = {"name": "send_location"}
        return {"type": "interactive", "interactive": content}


@dataclass(frozen=True, slots=True)
class CallPermissionRequest(MessageBuilder):
    """Asks the customer for permission to call them on WhatsApp: a body (1,024) above
    Meta's fixed buttons; the answer arrives as an ``interactive`` ``call_permission_reply``."""

    body: str

    def __post_init__(self) -> None:
        self.to_body()

    def to_body(self) -> dict[str, Any]:
        content = interactive("call_permission_request", self.body,
                              what="call permission request")
        content["action"] = {"name": "call_permission_request"}
        return {"type": "interactive", "interactive": content}
