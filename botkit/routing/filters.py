"""Every built-in filter in one namespace: ``from botkit.routing import filters as f``.

::

    f.text.contains("pizza", ignore_case=True)
    f.command("start") | f.text.equals("hi", ignore_case=True)
    f.button.prefix("size:") & ~f.sender("15550001111")

Themes live in their own modules (``filters_text``, ``filters_messages``, ``filters_buttons``,
``filters_people``, ``filters_events``); this module only gathers them. docs/routers.md lists
each filter, what it matches and what data it gives the handler.
"""

from __future__ import annotations

from .filters_base import AllOf, AnyOf, Filter, Not, NotAFilter, Predicate, as_filter
from .filters_buttons import button
from .filters_events import contact_change, error_code, field, state, status
from .filters_messages import (
    flow_completion,
    location,
    media,
    message_type,
    order,
    reaction,
)
from .filters_people import business_number, calling_code, country, sender
from .filters_text import command, text

__all__ = [
    "AllOf",
    "AnyOf",
    "Filter",
    "Not",
    "NotAFilter",
    "Predicate",
    "as_filter",
    "business_number",
    "button",
    "calling_code",
    "command",
    "contact_change",
    "country",
    "error_code",
    "field",
    "flow_completion",
    "location",
    "media",
    "message_type",
    "order",
    "reaction",
    "sender",
    "state",
    "status",
    "text",
]
