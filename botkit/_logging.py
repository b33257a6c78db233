"""Log setup: one JSON object per record for machines, a coloured ``key=value`` line for people,
secrets masked either way.

``format = "auto"`` picks by where the log goes: a terminal gets the readable text lines (in
colour), a pipe or a file gets JSON, which log collectors read without guessing. What a bot
takes in is logged as short lines of facts (kind, type, a masked customer number), never with
what the customer wrote: at INFO one line per dispatch round (a lone event gets its own line, a
burst one line with counts per kind), at DEBUG one line per event. A line per event costs about
as much as the rest of its dispatch, so under load the INFO log stays one line per round.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Any, TextIO

# Record attributes that are not fields of a line: the standard ones, and the copy of the
# message with terminal colours that uvicorn adds to its records.
STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime",
                                                            "color_message"}
# The key of the event being dispatched: every log line written meanwhile carries it.
current_event: ContextVar[str | None] = ContextVar("botkit_event", default=None)
FORMATS = ("auto", "json", "text")

# ANSI colours for the text format (only ever written to a terminal).
_RESET = "\033[0m"
_DIM = "\033[2m"
_KEY = "\033[36m"
_LEVEL_COLOURS = {"DEBUG": "\033[2m", "INFO": "\033[32m", "WARNING": "\033[33m",
                  "ERROR": "\033[31;1m", "CRITICAL": "\033[31;1m"}

events_log = logging.getLogger("botkit.events")


class EventContext(logging.Filter):
    """Adds ``event`` (the event key) to records logged while an event is dispatched."""

    def filter(self, record: logging.LogRecord) -> bool:
        key = current_event.get()
        if key is not None and not hasattr(record, "event"):
            record.event = key
        return True


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What a record carries beyond the standard attributes (``extra=...``, the event key)."""
    return {key: value for key, value in record.__dict__.items()
            if key not in STANDARD_ATTRS and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(extra_fields(record))
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``12:00:01.234 INFO  botkit.webhook  message  key=value ...`` for people at a terminal;
    ``colour`` marks the level, the logger and the keys."""

    def __init__(self, colour: bool = False) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        stamp = f"{clock}.{int(record.msecs):03d}"
        level = f"{record.levelname:<7}"
        fields = " ".join(f"{self._key(key)}={_field_value(value)}"
                          for key, value in extra_fields(record).items())
        if self.colour:
            level = _LEVEL_COLOURS.get(record.levelname, "") + level + _RESET
            stamp, name = _DIM + stamp + _RESET, _DIM + record.name + _RESET
        else:
            name = record.name
        line = f"{stamp} {level} {name}  {record.getMessage()}"
        if fields:
            line += "  " + fields
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line

    def _key(self, key: str) -> str:
        return _KEY + key + _RESET if self.colour else key


def _field_value(value: Any) -> str:
    """A value as ``key=value`` shows it: quoted when it holds spaces, quotes or ``=``."""
    text = value if isinstance(value, str) else json.dumps(value, default=str,
                                                           ensure_ascii=False)
    if not text or any(c in text for c in ' ="\n'):
        return json.dumps(text, ensure_ascii=False)
    return text


class SecretMask(logging.Filter):
    """Replaces any configured secret that reaches a log message with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these too (plugin secrets become known only once the plugins are loaded)."""
        known = set(self.secrets) | {s for s in secrets if s and len(s) >= 4}
        self.secrets = sorted(known, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal a person reads (a closed or odd stream is not)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def wants_colour(stream: TextIO) -> bool:
    """Colour for a terminal, unless ``NO_COLOR`` is set (https://no-color.org)."""
    return is_terminal(stream) and not os.environ.get("NO_COLOR")


def resolve_format(fmt: str, stream: TextIO) -> str:
    """``"json"`` or ``"text"``: ``"auto"`` is text on a terminal and JSON anywhere else."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "auto":
        return "text" if is_terminal(stream) else "json"
    return fmt


def configure(level: str = "INFO", fmt: str = "auto", secrets: Iterable[str] = (), *,
              stream: TextIO | None = None) -> None:
    """Route every logger (botkit's, the server's) to ``stream`` (stderr) in the chosen
    format: ``"json"``, ``"text"`` (coloured on a terminal) or ``"auto"`` (see the module)."""
    stream = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(stream)
    if resolve_format(fmt, stream) == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter(colour=wants_colour(stream)))
    handler.addFilter(EventContext())
    handler.addFilter(SecretMask(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "hypercorn.error",
                 "hypercorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # httpx logs every request URL at INFO; Meta's signed media URLs must not reach the logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def mask_secrets(secrets: Iterable[str]) -> None:
    """Add secrets to the masks of the handlers :func:`configure` installed."""
    secrets = list(secrets)
    for handler in logging.getLogger().handlers:
        for log_filter in handler.filters:
            if isinstance(log_filter, SecretMask):
                log_filter.add(secrets)


# -- one line per event ------------------------------------------------------------------------

def mask_customer(value: str | None) -> str | None:
    """A customer's number or user id with its middle hidden: ``15557654321`` becomes
    ``+1555***4321``; enough to tell two customers apart in a log, not to call one."""
    if not value:
        return None
    if value.isdigit():
        if len(value) >= 10:
            return f"+{value[:4]}***{value[-4:]}"
        return f"+{value[:2]}***{value[-2:]}" if len(value) >= 6 else "***"
    return f"{value[:3]}***{value[-4:]}" if len(value) >= 10 else "***"


def event_fields(event: Any) -> dict[str, str]:
    """What one line says about an event: its kind, its type, and whose it is (masked).

    Never a text, a caption or any other thing the customer wrote."""
    kind = str(getattr(event, "kind", "event"))
    fields = {"kind": kind}
    if kind == "message":
        fields["type"] = str(event.type)
        who = event.sender or event.sender_user_id
        role = "from"
    elif kind == "status":
        fields["type"] = str(event.status)
        who = event.recipient_id or event.recipient_user_id
        role = "to"
    elif kind == "contact":
        fields["type"] = str(event.change)
        who = event.wa_id or event.user_id
        role = "customer"
    elif kind in ("timer", "handoff"):
        fields["type"] = str(event.name if kind == "timer" else event.action)
        who = str(event.conversation).partition(":")[2]
        role = "customer"
    elif kind == "error":
        fields["type"] = str(event.code)
        who, role = None, ""
    else:
        name = getattr(event, "event", None)
        fields["type"] = f"{event.field}/{name}" if name else str(getattr(event, "field", "?"))
        who, role = None, ""
    masked = mask_customer(who)
    if masked:
        fields[role] = masked
    return fields


def log_received(event: Any) -> None:
    """Log ``event`` at DEBUG as one short line (see :func:`event_fields`)."""
    if events_log.isEnabledFor(logging.DEBUG):
        events_log.debug("event received", extra=event_fields(event))


def log_round(events: Sequence[Any]) -> None:
    """One INFO line for the events dispatched in one round: a lone event with its fields (as
    a quiet bot shows each message), several as a count per kind."""
    if not events or not events_log.isEnabledFor(logging.INFO):
        return
    if len(events) == 1:
        event = events[0]
        events_log.info("event received", extra={**event_fields(event),
                                                 "event": getattr(event, "key", None)})
        return
    kinds = Counter(str(getattr(event, "kind", "event")) for event in events)
    events_log.info("events received", extra={"count": len(events), "kinds": dict(kinds)})
