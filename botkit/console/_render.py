"""Turning store rows into HTML: the console's own Jinja environment, its filters, the charts.

The environment is the console's own (not the app's), with autoescaping on for every template
and a final pass over every printed value that blanks out the bot's secrets: text that came from
outside (a plugin's error, a payload) is shown as text and never as markup or a credential.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import jinja2

# Secrets shorter than this are not blanked out of pages: every short word would go with them.
MIN_REDACTED_LENGTH = 8
REDACTED = "[redacted]"

# Chart geometry, shared with console.js through the overview API.
CHART_WIDTH = 600
CHART_BASE = 110  # y of the axis
CHART_HEIGHT = 100  # height of the tallest bar
BAR_GAP = 2


class Redactor:
    """Replaces every occurrence of the bot's secrets in a printed value."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        found = {s for s in secrets if s and len(s) >= MIN_REDACTED_LENGTH}
        self.secrets = sorted(found, key=len, reverse=True)  # a longer one may hold a shorter

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                if secret in value:
                    value = value.replace(secret, REDACTED)
        return value

    def deep(self, value: Any) -> Any:
        """The same over a JSON-like structure (for the API's answers)."""
        if isinstance(value, dict):
            return {self(k): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return self(value)


def when(seconds: float | None) -> str:
    """A moment in UTC, as operators compare it with logs."""
    if not seconds:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def age(seconds: float | None) -> str:
    """A duration in the largest unit that keeps it readable."""
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False)


def body_text(payload: bytes) -> str:
    """Raw bytes as readable text: what is not UTF-8 shows as escapes, never as markup."""
    return payload.decode("utf-8", errors="backslashreplace")


def bar_chart(values: Iterable[int], first_minute: float) -> dict[str, Any]:
    """Bars for per-minute counts: geometry in the SVG's units, with a label per bar."""
    values = list(values)
    top = max(values, default=0)
    width = CHART_WIDTH / max(1, len(values))
    bars = []
    for i, value in enumerate(values):
        height = 0.0 if not top else max(1.0, CHART_HEIGHT * value / top) if value else 0.0
        minute = datetime.fromtimestamp(first_minute + 60 * i, UTC).strftime("%H:%M")
        bars.append({"x": round(i * width, 2), "w": round(width - BAR_GAP, 2),
                     "y": round(CHART_BASE - height, 2), "h": round(height, 2),
                     "value": value, "label": f"{minute} UTC: {value}"})
    return {"top": top, "bars": bars}


def make_environment(redact: Redactor) -> jinja2.Environment:
    """Templates from the package, autoescaped, every printed value redacted."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("botkit.console", "templates"),
        autoescape=True, finalize=redact, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=when, age=age, pretty_json=pretty_json, body_text=body_text,
                       q=lambda value: quote(str(value), safe=""))
    return env
