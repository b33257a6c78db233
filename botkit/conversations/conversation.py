"""The conversation a handler works in: its dialog state, timers, the window and handoff.

Nothing here writes to the store. Changes are collected and committed by the dispatcher after
the handler returns, together with the plugin's delivery record (see :mod:`.handling`); a handler
that raises commits nothing, so a retry starts again from the state before the event.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from botkit.conversations.records import (
    Changes,
    ConversationInfo,
    ModeChange,
    OutboxItem,
    PluginState,
    TimerSpec,
)

#: The state prefix, data key and timer prefix of :meth:`Conversation.ask`.
ASKING = "asking:"
ASK_KEY = "_ask"
ASK_TIMER = "ask:"

#: ``queue(phone_number_id, to, recipient, body, fallback)``: keep a message to send.
Queue = Callable[[str, "str | None", "str | None", dict[str, Any], "Mapping[str, Any] | None"],
                 OutboxItem]


def message_body(body: str | Mapping[str, Any]) -> dict[str, Any]:
    """A text or a Cloud API message object, as the Graph API takes it."""
    if isinstance(body, str):
        return {"type": "text", "text": {"body": body}}
    if callable(getattr(body, "to_body", None)):
        return dict(body.to_body())  # type: ignore[union-attr]
    if isinstance(body, Mapping):
        return dict(body)
    raise TypeError(f"a message is a str or a mapping, not {type(body).__name__}")


def address(customer: str) -> tuple[str | None, str | None]:
    """(to, recipient): a phone number (wa_id) goes in ``to``, a business-scoped user id in
    ``recipient``."""
    return (customer, None) if customer.isdigit() else (None, customer)


class Conversation:
    """One customer's conversation with one business number, as one plugin sees it.

    ``state`` and ``data`` are this plugin's own (another plugin's dialog never clashes with
    it); ``mode`` and the 24-hour window are shared by all plugins.
    """

    def __init__(self, key: str, plugin: str, info: ConversationInfo, saved: PluginState,
                 changes: Changes, now: float, *, handoff_ttl: float | None = None,
                 queue: Queue | None = None) -> None:
        self.key = key
        self.plugin = plugin
        self.phone_number_id, _, self.customer = key.partition(":")
        self._info = info
        self._now = now
        self._handoff_ttl = handoff_ttl
        current = saved.current(now)
        self._saved = current
        self._state = current.state
        self._expires_at = current.expires_at
        #: The dialog data: a plain dict; change it freely, it is saved after the handler.
        self.data: dict[str, Any] = copy.deepcopy(dict(current.data))
        self._changes = changes
        self._explicit = False
        self._queue = queue

    # -- dialog state ---------------------------------------------------------------------

    @property
    def state(self) -> str | None:
        """The plugin's named state in this conversation (``None``: not in a dialog)."""
        return self._state

    def set_state(self, state: str | None, data: Mapping[str, Any] | None = None, *,
                  ttl: float | None = None) -> None:
        """Move to ``state``; ``data`` replaces the data when given; ``ttl`` (seconds) makes the
        state read as none once it has passed."""
        self._state = state
        if data is not None:
            self.data = copy.deepcopy(dict(data))
        self._expires_at = None if ttl is None else self._now + ttl
        self._explicit = True

    def clear(self) -> None:
        """Leave the dialog: no state, no data."""
        self._state, self.data, self._expires_at = None, {}, None
        self._explicit = True

    # -- timers ---------------------------------------------------------------------------

    def schedule(self, name: str, *, delay: float | None = None, at: float | None = None,
                 data: Mapping[str, Any] | None = None, replace: bool = True) -> str:
        """Fire ``timer_fired`` for this plugin in this conversation once, after ``delay``
        seconds or at ``at`` (unix time). With ``replace`` a pending timer of the same name is
        cancelled first. Returns the timer's id."""
        if (delay is None) == (at is None):
            raise ValueError("schedule() needs exactly one of delay= or at=")
        due = self._now + delay if delay is not None else float(at)  # type: ignore[arg-type]
        if replace:
            self.cancel(name)
        timer = TimerSpec(uuid.uuid4().hex, self.key, self.plugin, name, due,
                          copy.deepcopy(dict(data or {})))
        self._changes.timers.append(timer)
        return timer.id

    def cancel(self, name: str) -> None:
        """Cancel this plugin's pending timers called ``name`` in this conversation."""
        self._changes.timers = [t for t in self._changes.timers if t.name != name]
        self._changes.cancelled_names.append(name)

    # -- the window and handoff -------------------------------------------------------------

    @property
    def mode(self) -> str:
        """``"human"`` while a person has the conversation (the bot's messages are held back),
        else ``"bot"``."""
        change = self._changes.mode
        if change is not None:
            return change.mode
        return "human" if self._info.with_human(self._now) else "bot"

    @property
    def with_human(self) -> bool:
        return self.mode == "human"

    @property
    def last_inbound_at(self) -> float | None:
        """When the customer last wrote (the message's own timestamp)."""
        return self._info.last_inbound_at

    @property
    def window_closes_at(self) -> float | None:
        """When the 24-hour customer-service window closes; free-form messages stop then."""
        return self._info.window_closes_at()

    @property
    def window_open(self) -> bool:
        return self._info.window_open(self._now)

    def hand_to_human(self, *, reason: str | None = None, ttl: float | None = None,
                      by: str | None = None) -> None:
        """Give the conversation to a person: bot messages are held back until
        :meth:`hand_back`, ``botkit handoff resume`` or the TTL (default: the settings')."""
        ttl = self._handoff_ttl if ttl is None else ttl
        until = None if ttl is None else self._now + ttl
        self._changes.mode = ModeChange("human", until, by or self.plugin, reason)
        for item in self._changes.outbox:
            item.before_handoff = True

    def hand_back(self) -> None:
        """Give the conversation back to the bot."""
        self._changes.mode = ModeChange("bot", by=self.plugin)

    # -- asking and waiting for the answer --------------------------------------------------

    def ask(self, step: str, question: str | Mapping[str, Any], *, expect: str | None = None,
            cancel_words: tuple[str, ...] = ("cancel",), timeout: float | None = None,
            fallback: Mapping[str, Any] | None = None) -> None:
        """Send ``question`` and wait, durably, for the customer's answer as step ``step``.

        The wait is conversation state, so it survives restarts and is seen by every
        instance; a router's ``@router.answer(step)`` handler gets the answer. ``expect``
        names the kind of answer (``"text"``, ``"button"``, ``"location"``, ``"image"``, ...;
        ``None``: any message); another kind of message has the question asked again.
        ``cancel_words`` (compared trimmed, case-insensitively) end the wait
        (``@router.cancelled(step)``); after ``timeout`` seconds without an answer
        ``@router.timed_out(step)`` runs. Other dialog data is kept.
        """
        self.send(question, fallback=fallback)
        self.set_state(ASKING + step)
        self.data[ASK_KEY] = {"step": step, "expect": expect,
                              "cancel": [w.strip().lower() for w in cancel_words],
                              "question": message_body(question)}
        if timeout is not None:
            self.schedule(ASK_TIMER + step, delay=timeout, data={"step": step})
        else:
            self.cancel(ASK_TIMER + step)

    @property
    def asking(self) -> str | None:
        """The step whose answer this conversation waits for, if any."""
        state = self._state or ""
        return state[len(ASKING):] if state.startswith(ASKING) else None

    @property
    def question(self) -> Mapping[str, Any] | None:
        """What :meth:`ask` is waiting on: ``step``, ``expect``, ``cancel``, ``question``."""
        ask = self.data.get(ASK_KEY)
        return ask if isinstance(ask, Mapping) and self.asking else None

    def stop_asking(self) -> None:
        """Stop waiting (the answer came, was cancelled or timed out); other data stays."""
        step = self.asking
        if step is None:
            return
        self.data.pop(ASK_KEY, None)
        self.set_state(None)
        self.cancel(ASK_TIMER + step)

    # -- messages ---------------------------------------------------------------------------

    def send(self, body: str | Mapping[str, Any], *,
             fallback: Mapping[str, Any] | None = None) -> OutboxItem:
        """Send ``body`` (a text, or a Cloud API message object) to the customer once the
        handler's changes are committed; ``fallback`` (a template message) goes instead when
        the 24-hour window is closed."""
        if self._queue is None:
            raise RuntimeError("this conversation cannot send (no handler is running)")
        return self._queue(self.phone_number_id, *address(self.customer), message_body(body),
                           fallback)

    # -- for the dispatcher ---------------------------------------------------------------

    def finish(self) -> None:
        """Record the state change, if any, in the changes to commit."""
        after = PluginState(self._state, self.data, self._expires_at)
        before = self._saved
        if self._explicit or (after.state, after.data, after.expires_at) != (
                before.state, dict(before.data), before.expires_at):
            self._changes.state = after
            self._changes.state_changed = True
