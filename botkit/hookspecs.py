"""The plugin contract: every hook a botkit plugin may implement.

Every hook takes ``bot`` (the running :class:`botkit.Bot`) first. Implementations may be plain
functions or ``async def``; botkit awaits them. Implement only the arguments you use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import pluggy

from botkit.events import EventKind

if TYPE_CHECKING:
    import click

    from botkit.bot import Bot
    from botkit.events import (
        Contact,
        Event,
        FieldEvent,
        Handoff,
        Message,
        Status,
        Timer,
        WebhookError,
    )
    from botkit.flows.app import FlowHandlersRegistrar
    from botkit.flows.endpoint import FlowErrorNotification
    from botkit.replies import Reply

hookspec = pluggy.HookspecMarker("botkit")

#: The hook each stored kind of event is delivered to, and the argument name it is passed as.
HOOK_FOR_KIND: Final[dict[EventKind, tuple[str, str]]] = {
    "message": ("message_received", "message"),
    "status": ("status_received", "status"),
    "contact": ("contact_updated", "contact"),
    "error": ("error_received", "error"),
    "field": ("event_received", "event"),
    "timer": ("timer_fired", "timer"),
    "handoff": ("handoff_started", "handoff"),
}

#: ``register(path, view, methods=["GET"])`` as ``register_routes`` receives it.
RouteRegistrar = Callable[..., None]


@hookspec
def startup(bot: Bot) -> None:
    """Called once when the bot starts, before any event is dispatched.

    Create clients, open files and put plugin state on ``bot.state``. May be async.
    An exception here stops the server from starting.
    """


@hookspec
def shutdown(bot: Bot) -> None:
    """Called once when the bot stops, after dispatch has ended. Close what ``startup`` opened.

    May be async. Exceptions are logged and do not stop other plugins' shutdown.
    """


@hookspec(firstresult=True)
def reply_for_message(bot: Bot, message: Message) -> Reply | None:
    """Return the reply to send for an inbound :class:`botkit.Message`, or ``None`` to pass.

    The first plugin (in ``enabled_plugins`` order) that returns something other than ``None``
    wins; botkit sends it once per message through ``bot.whatsapp``, even when the event is
    redelivered or retried. Return a ``str`` (a text reply) or a ``dict`` holding a Cloud API
    message object such as ``{"type": "interactive", "interactive": {...}}`` (together:
    :data:`botkit.Reply`), or :data:`botkit.NO_REPLY` to stop the chain and send nothing.
    May be async.
    """


@hookspec
def message_received(bot: Bot, message: Message) -> None:
    """Called once for every inbound :class:`botkit.Message`, of every type.

    System and unsupported messages and unknown types included. Messages of one conversation
    arrive in order; ``message.attempt`` is above 1 when this event was handed out before.
    May be async. Raise :class:`botkit.PermanentError` to skip retries.
    """


@hookspec
def status_received(bot: Bot, status: Status) -> None:
    """Called once for every :class:`botkit.Status` (sent, delivered, read, played, failed, ...).

    Statuses may arrive out of order; compare ``status.timestamp``. May be async.
    """


@hookspec
def contact_updated(bot: Bot, contact: Contact) -> None:
    """Called when a customer's identity or profile changes: a :class:`botkit.Contact`.

    ``contact.change`` says what happened: ``profile`` (a new or changed profile seen on an
    inbound webhook), ``changed_number``, ``identity_changed`` or ``user_id_changed``.
    May be async.
    """


@hookspec
def event_received(bot: Bot, event: FieldEvent) -> None:
    """Called for every change of every other webhook field: a :class:`botkit.FieldEvent`.

    Template status and quality, account updates, phone number updates, flows, history,
    user preferences and fields botkit does not know yet. May be async.
    """


@hookspec
def error_received(bot: Bot, error: WebhookError) -> None:
    """Called for each value-level error Meta reports (``value.errors[]``): a
    :class:`botkit.WebhookError`. May be async.
    """


@hookspec
def timer_fired(bot: Bot, timer: Timer) -> None:
    """A timer this plugin scheduled (``conversation.schedule(...)``) is due: a
    :class:`botkit.Timer`. Called once, for the scheduling plugin only, in order with the
    conversation's other events, after crashes and across instances. May be async.
    """


@hookspec
def handoff_started(bot: Bot, handoff: Handoff) -> None:
    """A person took the conversation (a plugin, ``botkit handoff take``, or a reply from the
    WhatsApp Business app): a :class:`botkit.Handoff`. The bot's messages to this customer
    are held back until it ends. May be async.
    """


@hookspec
def handoff_ended(bot: Bot, handoff: Handoff) -> None:
    """The conversation is back with the bot (``botkit handoff resume``, a plugin, or the
    handoff TTL ran out): a :class:`botkit.Handoff`. May be async.
    """


@hookspec
def delivery_failed(bot: Bot, event: Event, plugin: str, error: BaseException) -> None:
    """Called when ``plugin`` gave up on ``event`` after its last attempt (a dead letter).

    ``error`` is the last exception. May be async; an exception here is only logged.
    """


@hookspec
def register_routes(bot: Bot, register: RouteRegistrar) -> None:
    """Add HTTP routes to the app: call ``register(path, view, methods=["GET"])``.

    ``view`` is a Quart view function (may be async). Paths already taken are refused.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``botkit`` command line: ``cli`` is the click group."""


@hookspec
def register_flow_handlers(bot: Bot, register: FlowHandlersRegistrar) -> None:
    """Hand over WhatsApp Flows handlers: call ``register(handlers)`` with a
    :class:`botkit.flows.FlowHandlers` registry.

    Called once when the app starts, after the ``startup`` hooks, only when ``[flows]`` is
    configured. The registries of all plugins are merged in ``enabled_plugins`` order; make
    yours with your plugin's name (``FlowHandlers("booking")``) so its handlers answer only the
    flow tokens your plugin issued. A registry of another plugin, or two handlers for the same
    case, stop the start. May be async.
    """


@hookspec
def flow_error_received(bot: Bot, notification: FlowErrorNotification) -> None:
    """Called when a WhatsApp client reports that an answer of the Flows endpoint broke a Flow:
    a :class:`botkit.flows.FlowErrorNotification` (``error``, ``error_message``, ``screen``,
    ``claims`` of the verified token, or None). The request was already acknowledged. May be
    async; exceptions are logged and do not reach the other plugins.
    """
