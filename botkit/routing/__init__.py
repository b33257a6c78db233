"""Routers, filters, middleware and typed button ids for writing bots on botkit.

::

    from botkit.routing import Router, filters as f

    router = Router("shop")

    @router.message(f.text.contains("pizza", ignore_case=True))
    def pizza(message):
        return "One pizza coming up!"

Register ``router`` as a plugin (entry point ``shop = "botkit_shop:router"``); see
docs/routers.md.
"""

from __future__ import annotations

from . import filters
from ._handlers import HandlerSignatureError
from .callback_data import (
    CallbackData,
    CallbackDataError,
    CallbackDataTooLong,
    InvalidCallbackData,
    SigningKeyMissing,
)
from .context import current_conversation
from .filters_base import Filter
from .middleware import Middleware, Next
from .replying import send_reply
from .router import Router, RouterError, UnexpectedHandlerResult
from .signals import CONTINUE, SkipHandler

__all__ = [
    "CONTINUE",
    "CallbackData",
    "CallbackDataError",
    "CallbackDataTooLong",
    "Filter",
    "HandlerSignatureError",
    "InvalidCallbackData",
    "Middleware",
    "Next",
    "Router",
    "RouterError",
    "SigningKeyMissing",
    "SkipHandler",
    "UnexpectedHandlerResult",
    "current_conversation",
    "filters",
    "send_reply",
]
