"""The ``[plugins.order-bot]`` table as the dialog uses it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botkit import Bot

PLUGIN = "order-bot"


@dataclass(frozen=True, slots=True)
class OrderSettings:
    """How long an order waits for the customer, and what is sent when the window is closed."""

    timeout_seconds: float
    fallback: dict[str, Any]

    @classmethod
    def of(cls, bot: Bot) -> OrderSettings:
        """Read from the plugin's settings (checked against ``config.schema.json`` at start-up,
        its defaults filled in)."""
        table = bot.config(PLUGIN)
        template = {"name": table["fallback_template"],
                    "language": {"code": table["fallback_language"]}}
        return cls(float(table["timeout_seconds"]), {"type": "template", "template": template})
