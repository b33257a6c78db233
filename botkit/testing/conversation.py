"""Test a bot the way a customer meets it: send a message, read what the bot answered.

``conversation()`` runs the real app on a loopback port with the chosen plugins, a fake Graph
API behind ``bot.whatsapp`` and a throwaway store; every message is a signed webhook in Meta's
wire format, and the replies are what the fake Graph API accepted::

    async with conversation(enabled_plugins=["auto-reply"],
                            plugins={"auto-reply": {"default_reply": "Hi {name}!"}}) as chat:
        await chat.send_text("hello")
        assert await chat.reply_texts() == ["Hi Priya Raman!"]

Dialogs that must survive restarts and redeliveries are tested the same way: ``chat.restart()``
brings the bot back on the same store, ``chat.redeliver(wamid)`` posts an earlier message
again, byte for byte, and with ``clock=ManualClock()`` ``chat.advance(seconds)`` moves time on
and fires the conversation timers that are due.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
import tomllib
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from botkit.testing import payloads
from botkit.testing.fake_graph import FakeGraphAPI
from botkit.testing.harness import ACCESS_TOKEN, BotRunner, ManualClock, make_settings


class Conversation:
    """One customer's chat with a running bot.

    Each ``send_*`` posts one signed inbound message and returns its wamid; :meth:`replies`
    waits until the bot has handled everything sent so far and returns the messages sent to
    this customer since the previous call.
    """

    def __init__(self, runner: BotRunner, graph: FakeGraphAPI, *,
                 customer: str | None = payloads.CUSTOMER_WA_ID,
                 name: str | None = payloads.CUSTOMER_NAME, user_id: str | None = None,
                 phone_number_id: str = payloads.PHONE_NUMBER_ID,
                 display_phone_number: str = payloads.DISPLAY_PHONE_NUMBER,
                 waba_id: str = payloads.WABA_ID,
                 clock: Callable[[], float] | None = None,
                 posted: dict[str, bytes] | None = None) -> None:
        if not customer and not user_id:
            raise ValueError("a conversation needs a customer wa_id or a user_id")
        self.runner, self.graph = runner, graph
        #: The bot's clock; messages are stamped with its time unless given ``timestamp=``.
        self.clock: Callable[[], float] = clock or runner.clock
        # The exact bytes posted for each message id, shared by every customer of this bot.
        self._posted: dict[str, bytes] = {} if posted is None else posted
        self.customer, self.name, self.user_id = customer, name, user_id
        self.phone_number_id = phone_number_id
        self._identity = {"sender": customer, "name": name, "user_id": user_id,
                          "phone_number_id": phone_number_id,
                          "display_phone_number": display_phone_number, "waba_id": waba_id}
        self._replies_taken = 0
        self._sent_ids: list[str] = []

    @property
    def bot(self):
        """The running :class:`botkit.bot.Bot` (its ``state``, ``store``, ``settings``)."""
        return self.runner.bot

    def with_customer(self, customer: str | None, name: str | None = None, *,
                      user_id: str | None = None) -> Conversation:
        """Another customer writing to the same bot (the same store and fake Graph API)."""
        identity = {k: v for k, v in self._identity.items()
                    if k in ("phone_number_id", "display_phone_number", "waba_id")}
        return Conversation(self.runner, self.graph, customer=customer, name=name,
                            user_id=user_id, clock=self.clock, posted=self._posted,
                            **identity)

    # -- the customer speaks -------------------------------------------------------------------

    async def send(self, body: Mapping[str, Any] | bytes) -> httpx.Response:
        """POST any body (built or raw bytes), signed; anything but ``200`` fails the test."""
        raw = body if isinstance(body, bytes) else payloads.wire_bytes(body)
        response = await self.runner.post(raw)
        if response.status_code != 200:
            raise AssertionError(f"the webhook answered {response.status_code} "
                                 f"{response.text!r} instead of 200")
        for wamid in _message_ids(raw):
            self._posted.setdefault(wamid, raw)
        return response

    async def redeliver(self, wamid: str) -> httpx.Response:
        """Post the body that carried message ``wamid`` again, byte for byte and signed, as
        Meta does when it did not get (or did not believe) the first ``200``."""
        try:
            raw = self._posted[wamid]
        except KeyError:
            raise KeyError(f"no message {wamid!r} was posted to this bot; redeliver() takes a "
                           "wamid that send_*() returned") from None
        return await self.send(raw)

    async def restart(self) -> None:
        """Let every event posted so far be handled, then stop the bot and start a new one on
        the same settings and store: what a deploy or a crash-and-restart leaves behind. The
        fake Graph API and the replies not yet read stay as they were."""
        await self.settle()
        await self.runner.restart()

    async def advance(self, seconds: float) -> None:
        """Let everything posted so far be handled at the current time, move the bot's
        :class:`~botkit.testing.ManualClock` ``seconds`` on, then wait until the timers due by
        then have fired and every event is handled."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs the bot to run on a ManualClock: "
                            "conversation(..., clock=ManualClock())")
        await self.settle()
        self.clock.advance(seconds)
        await self.settle()

    async def send_message(self, builder: Callable[..., dict[str, Any]], *args: Any,
                           **options: Any) -> str:
        """Build a message with a :mod:`botkit.testing.payloads` builder as this customer,
        post it, and return its wamid: ``await chat.send_message(order_message, item)``.
        The message is stamped with the bot's clock unless ``timestamp=`` says otherwise."""
        options.setdefault("timestamp", int(self.clock()))
        body = builder(*args, **{**self._identity, **options})
        [item] = body["entry"][0]["changes"][0]["value"]["messages"]
        await self.send(body)
        self._sent_ids.append(item["id"])
        return item["id"]

    async def send_text(self, text: str, **options: Any) -> str:
        return await self.send_message(payloads.text_message, text, **options)

    async def send_image(self, caption: str | None = None, **options: Any) -> str:
        return await self.send_message(payloads.image_message, caption=caption, **options)

    async def send_location(self, latitude: float, longitude: float, **options: Any) -> str:
        return await self.send_message(payloads.location_message, latitude, longitude, **options)

    async def tap_button(self, button_id: str, title: str, **options: Any) -> str:
        """Tap a reply button the bot sent (see :func:`reply_buttons`)."""
        return await self.send_message(payloads.button_reply_message, button_id, title, **options)

    async def pick_row(self, row_id: str, title: str, description: str | None = None,
                       **options: Any) -> str:
        """Pick a row of a list message the bot sent (see :func:`list_rows`)."""
        return await self.send_message(payloads.list_reply_message, row_id, title, description,
                                       **options)

    async def react(self, reacted_to: str, emoji: str | None, **options: Any) -> str:
        return await self.send_message(payloads.reaction_message, reacted_to, emoji, **options)

    async def report_status(self, wamid: str, status: str = "delivered", **options: Any) -> None:
        """Meta reports what happened to a message the bot sent this customer."""
        where = {k: self._identity[k] for k in ("phone_number_id", "display_phone_number",
                                                "waba_id")}
        await self.send(payloads.status(wamid, status, recipient=self.customer,
                                        recipient_user_id=self.user_id, **{**where, **options}))

    # -- the bot answers -------------------------------------------------------------------

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every event posted so far has been handled by every plugin."""
        await self.runner.settle(timeout)

    async def replies(self, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Messages the bot sent this customer since the last call, oldest first, as the
        bodies the Graph API received (``{"type": "text", "text": {"body": ...}, ...}``)."""
        await self.settle(timeout)
        mine = [m for m in self.graph.sent_messages(self.phone_number_id) if self._is_mine(m)]
        new, self._replies_taken = mine[self._replies_taken:], len(mine)
        return new

    async def reply_texts(self, timeout: float = 10.0) -> list[str]:
        """What the customer reads in each new reply (see :func:`reply_text`)."""
        return [reply_text(message) for message in await self.replies(timeout)]

    async def read_receipts(self, timeout: float = 10.0) -> list[str]:
        """Wamids of this customer's messages the bot marked as read."""
        await self.settle(timeout)
        return [r["message_id"] for r in self.graph.read_receipts()
                if r.get("message_id") in self._sent_ids]

    def _is_mine(self, message: Mapping[str, Any]) -> bool:
        if self.customer and message.get("to") == self.customer:
            return True
        return bool(self.user_id) and message.get("recipient") == self.user_id


def _message_ids(raw: bytes) -> list[str]:
    """The id of every inbound message in a webhook body (none when it is not JSON)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return []
    found: list[str] = []
    entries = body.get("entry") if isinstance(body, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            messages = value.get("messages") if isinstance(value, dict) else None
            for message in messages if isinstance(messages, list) else []:
                if isinstance(message, dict) and isinstance(message.get("id"), str):
                    found.append(message["id"])
    return found


def reply_text(message: Mapping[str, Any]) -> str:
    """The text a customer reads in a sent message: a text body, the body of buttons or a list,
    a caption, an emoji, else ``[<type>]`` (``[template <name>]`` for a template)."""
    kind = message.get("type", "")
    content = message.get(kind) if isinstance(message.get(kind), Mapping) else {}
    if kind == "text":
        return content.get("body", "")
    if kind == "interactive":
        return content.get("body", {}).get("text", "")
    if kind == "reaction":
        return content.get("emoji", "")
    if kind == "template":
        return f"[template {content.get('name')}]"
    return content.get("caption") or f"[{kind}]"


def reply_buttons(message: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(id, title)`` of each reply button of an interactive message (``[]`` if none)."""
    action = message.get("interactive", {}).get("action", {})
    return [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]


def list_rows(message: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(id, title)`` of each row of a list message, across its sections (``[]`` if none)."""
    action = message.get("interactive", {}).get("action", {})
    return [(row["id"], row["title"]) for section in action.get("sections", [])
            for row in section.get("rows", [])]


def settings_from_file(path: str | Path) -> dict[str, Any]:
    """``enabled_plugins`` and ``plugins`` of a bot's ``botkit.toml``, to test the bot as
    configured (secrets, store and server stay the test ones)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return {"enabled_plugins": list(data.get("enabled_plugins", [])),
            "plugins": dict(data.get("plugins", {}))}


@contextlib.asynccontextmanager
async def conversation(*, enabled_plugins: list[str] | None = None,
                       plugins: Mapping[str, Any] | None = None,
                       extra_plugins: Mapping[str, Any] | None = None,
                       settings_file: str | Path | None = None,
                       data_dir: str | Path | None = None,
                       clock: Callable[[], float] = time.time,
                       customer: str | None = payloads.CUSTOMER_WA_ID,
                       name: str | None = payloads.CUSTOMER_NAME,
                       **tables: Mapping[str, Any]) -> AsyncIterator[Conversation]:
    """A running bot and a customer chatting with it; everything stops on exit.

    ``enabled_plugins`` and ``plugins`` (``{name: settings table}``) choose the plugins;
    ``settings_file`` takes both from a ``botkit.toml`` instead (explicit ones win).
    ``extra_plugins`` adds plugin objects that are not installed, by name. ``clock`` is the
    bot's clock: a :class:`~botkit.testing.ManualClock` lets :meth:`Conversation.advance` move
    time on. Other keywords are settings tables merged over the test settings (see
    :func:`~botkit.testing.make_settings`).
    """
    if settings_file is not None:
        configured = settings_from_file(settings_file)
        enabled_plugins = configured["enabled_plugins"] if enabled_plugins is None \
            else enabled_plugins
        plugins = configured["plugins"] if plugins is None else plugins
    async with contextlib.AsyncExitStack() as stack:
        if data_dir is None:
            data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="botkit-chat-"))
        graph = await stack.enter_async_context(FakeGraphAPI(access_token=ACCESS_TOKEN))
        tables = {**tables, "whatsapp": {**tables.get("whatsapp", {}), "graph_url": graph.url}}
        settings = make_settings(Path(data_dir), enabled_plugins=enabled_plugins,
                                 plugins=plugins, **tables)
        runner = await stack.enter_async_context(
            BotRunner(settings, extra_plugins=extra_plugins, clock=clock))
        yield Conversation(runner, graph, customer=customer, name=name, clock=clock)
