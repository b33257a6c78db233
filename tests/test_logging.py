"""Logs: one JSON object per line, the event key on dispatch lines, secrets masked."""

from __future__ import annotations

import io
import json
import logging

from botkit._logging import EventContext, JsonFormatter, SecretMask, current_event


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(EventContext())
    handler.addFilter(SecretMask(["s3cret-app-secret", "EAAG-token-value"]))
    logger = logging.getLogger(f"botkit.test.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel("INFO")
    return logger, stream


def test_lines_are_json_with_the_event_key_while_dispatching():
    logger, stream = capture()
    logger.info("outside")
    token = current_event.set("message:wamid.X")
    try:
        logger.warning("plugin %s failed", "crm")
    finally:
        current_event.reset(token)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert "event" not in first and first["message"] == "outside"
    assert second == {**second, "level": "WARNING", "message": "plugin crm failed",
                      "event": "message:wamid.X"}


def test_secrets_never_reach_a_line():
    logger, stream = capture()
    logger.error("Graph said: invalid token EAAG-token-value for %s", "s3cret-app-secret")
    line = stream.getvalue()
    assert "EAAG-token-value" not in line and "s3cret-app-secret" not in line
    assert "***" in line
