"""Logs for people and for machines: coloured `key=value` lines at a terminal, JSON elsewhere
("auto"), and short lines about events (one per dispatch round at INFO, one per event at DEBUG)
that never hold what the customer wrote."""

from __future__ import annotations

import io
import json
import logging

import pytest

from botkit._logging import (
    TextFormatter,
    configure,
    event_fields,
    log_received,
    log_round,
    mask_customer,
    resolve_format,
)
from botkit.events import Contact, FieldEvent, Handoff, Message, Status, Timer, WebhookError

SECRET_TEXT = "my card number is 4111 1111 1111 1111"
WHERE = {"field": "messages", "waba_id": "102290129340398", "phone_number_id": "1098"}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def root_logging():
    """The root logger as configure() leaves it, restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def record(message: str = "webhook POST 200", **extra) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": "botkit.webhook", "levelname": "INFO",
                                  "levelno": logging.INFO, "msg": message, "created": 0.0,
                                  "msecs": 0.0})
    made.__dict__.update(extra)
    return made


def test_text_lines_carry_fields_as_key_value():
    line = TextFormatter().format(record(event="message:wamid.A", reason="too slow", n=3))
    assert line.endswith("INFO    botkit.webhook  webhook POST 200  "
                         'event=message:wamid.A reason="too slow" n=3')
    assert "\033[" not in line


def test_colour_marks_level_logger_and_keys():
    line = TextFormatter(colour=True).format(record(event="message:wamid.A"))
    assert "\033[32mINFO" in line and "\033[36mevent\033[0m=message:wamid.A" in line


@pytest.mark.parametrize(("fmt", "stream", "chosen"), [
    ("auto", Terminal(), "text"), ("auto", io.StringIO(), "json"),
    ("json", Terminal(), "json"), ("text", io.StringIO(), "text"),
])
def test_auto_is_text_at_a_terminal_and_json_elsewhere(fmt, stream, chosen):
    assert resolve_format(fmt, stream) == chosen


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown log format 'yaml'"):
        resolve_format("yaml", io.StringIO())


def test_no_color_turns_colour_off(root_logging, monkeypatch):
    terminal = Terminal()
    monkeypatch.setenv("NO_COLOR", "1")
    configure("INFO", "auto", stream=terminal)
    logging.getLogger("botkit.test").warning("careful")
    assert "WARNING" in terminal.getvalue() and "\033[" not in terminal.getvalue()
    monkeypatch.delenv("NO_COLOR")
    configure("INFO", "auto", stream=terminal)
    logging.getLogger("botkit.test").warning("careful")
    assert "\033[33mWARNING" in terminal.getvalue()


@pytest.mark.parametrize(("value", "masked"), [
    ("15557654321", "+1555***4321"), ("4915112345678", "+4915***5678"),
    ("3312345", "+33***45"), ("123", "***"), ("US.13491208655302741918", "US.***1918"),
    ("", None), (None, None),
])
def test_customers_are_masked(value, masked):
    assert mask_customer(value) == masked


@pytest.mark.parametrize(("event", "fields"), [
    (Message(key="message:wamid.A", id="wamid.A", type="text", sender="15557654321",
             text=SECRET_TEXT, **WHERE),
     {"kind": "message", "type": "text", "from": "+1555***4321"}),
    (Message(key="message:wamid.B", id="wamid.B", type="image", sender=None,
             sender_user_id="US.13491208655302741918", text=SECRET_TEXT, **WHERE),
     {"kind": "message", "type": "image", "from": "US.***1918"}),
    (Status(key="status:wamid.C:read", id="wamid.C", status="read",
            recipient_id="15557654321", **WHERE),
     {"kind": "status", "type": "read", "to": "+1555***4321"}),
    (Contact(key="contact:x", wa_id="15550654321", change="changed_number", name="Priya",
             **WHERE),
     {"kind": "contact", "type": "changed_number", "customer": "+1555***4321"}),
    (FieldEvent(key="field:y", raw={"event": "APPROVED", "message_template_name": "x"},
                **{**WHERE, "field": "message_template_status_update"}),
     {"kind": "field", "type": "message_template_status_update/APPROVED"}),
    (WebhookError(key="error:z", code=131000, message=SECRET_TEXT, **WHERE),
     {"kind": "error", "type": "131000"}),
    (Timer(key="timer:t", timer_id="t", name="reminder", plugin="shop",
           conversation="1098:15557654321", due_at=0.0, **WHERE),
     {"kind": "timer", "type": "reminder", "customer": "+1555***4321"}),
    (Handoff(key="handoff:h", action="started", conversation="1098:15557654321",
             reason=SECRET_TEXT, **WHERE),
     {"kind": "handoff", "type": "started", "customer": "+1555***4321"}),
])
def test_one_line_per_event_says_what_and_whose_never_what_was_said(event, fields,
                                                                     root_logging):
    assert event_fields(event) == fields
    stream = io.StringIO()
    configure("DEBUG", "json", stream=stream)
    log_received(event)
    [line] = stream.getvalue().splitlines()
    assert json.loads(line) == {**json.loads(line), "level": "DEBUG", "logger": "botkit.events",
                                "message": "event received", **fields}
    assert SECRET_TEXT not in line and "15557654321" not in line


def test_a_lone_event_gets_its_own_info_line(root_logging):
    stream = io.StringIO()
    configure("INFO", "json", stream=stream)
    log_round([Message(key="message:wamid.A", id="wamid.A", type="text",
                       sender="15557654321", text=SECRET_TEXT, **WHERE)])
    [line] = stream.getvalue().splitlines()
    assert json.loads(line) == {**json.loads(line), "level": "INFO", "logger": "botkit.events",
                                "message": "event received", "kind": "message", "type": "text",
                                "from": "+1555***4321", "event": "message:wamid.A"}
    assert SECRET_TEXT not in line and "15557654321" not in line


def test_a_round_of_events_is_one_info_line_with_counts(root_logging):
    stream = io.StringIO()
    configure("INFO", "json", stream=stream)
    statuses = [Status(key=f"status:wamid.{i}:read", id=f"wamid.{i}", status="read",
                       recipient_id="15557654321", **WHERE) for i in range(3)]
    log_round([Message(key="m", id="m", type="text", sender="15557654321", text=SECRET_TEXT,
                       **WHERE), *statuses])
    [line] = stream.getvalue().splitlines()
    assert json.loads(line) == {**json.loads(line), "level": "INFO", "message": "events received",
                                "count": 4, "kinds": {"message": 1, "status": 3}}
    assert SECRET_TEXT not in line and "15557654321" not in line


def test_the_event_line_reads_well_at_a_terminal(root_logging, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = Terminal()
    configure("INFO", "auto", stream=terminal)
    log_round([Message(key="message:wamid.A", id="wamid.A", type="text",
                       sender="15557654321", text=SECRET_TEXT, **WHERE)])
    line = terminal.getvalue()
    assert "event received" in line and "=+1555***4321" in line and SECRET_TEXT not in line


def test_nothing_is_logged_below_info(root_logging):
    stream = io.StringIO()
    configure("WARNING", "json", stream=stream)
    log_round([Message(key="m", id="m", type="text", sender="15557654321", **WHERE)])
    log_received(Message(key="m", id="m", type="text", sender="15557654321", **WHERE))
    assert stream.getvalue() == ""


def test_the_line_per_event_is_debug_only(root_logging):
    stream = io.StringIO()
    configure("INFO", "json", stream=stream)
    log_received(Message(key="m", id="m", type="text", sender="15557654321", **WHERE))
    assert stream.getvalue() == ""
