"""What the fake Graph API remembers: every request, accepted messages and read receipts, and
the objects a test declared (media, apps, WhatsApp Business Accounts) with their subscriptions.

Separate from the server and the routes because both sides use it: routes change it from the
server's thread, tests read it from theirs, always under :attr:`GraphState.lock`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from botkit.testing.fake_graph.wire import RecordedRequest


@dataclass
class StoredMedia:
    """A media file the fake serves; ``signature`` signs its download URL."""

    content: bytes
    mime_type: str
    signature: str
    download_url: str | None


@dataclass
class GraphState:
    """The recorded traffic and the declared objects; ``lock`` guards all of it and is notified
    whenever a message or receipt is accepted."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    requests: list[RecordedRequest] = field(default_factory=list)
    accepted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, StoredMedia] = field(default_factory=dict)
    apps: dict[str, str | None] = field(default_factory=dict)  # app id -> app token
    subscriptions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    wabas: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: Business numbers with a token of their own (phone_number_id -> token).
    number_tokens: dict[str, str] = field(default_factory=dict)

    def forget_traffic(self) -> None:
        """Drop recorded requests, messages, receipts and subscriptions (caller holds lock)."""
        self.requests.clear()
        self.accepted.clear()
        self.receipts.clear()
        for subscriptions in (*self.subscriptions.values(), *self.wabas.values()):
            subscriptions.clear()

    def app_subscriptions(self, app_id: str) -> list[dict[str, Any]]:
        """A copy of the app's subscriptions, as ``GET /{app_id}/subscriptions`` lists them."""
        with self.lock:
            return [json.loads(json.dumps(s)) for s in self.subscriptions.get(app_id, {}).values()]

    def waba_subscribed_apps(self, waba_id: str) -> list[dict[str, Any]]:
        """A copy of the apps subscribed to the account's webhooks."""
        with self.lock:
            return [dict(entry) for entry in self.wabas.get(waba_id, {}).values()]
