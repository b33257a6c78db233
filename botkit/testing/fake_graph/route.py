"""A route of the fake Graph API: ``(method, path regex, handler)``, and :class:`GraphFake`, what
a handler may use of the fake it runs in.

Separate from the server so that route modules depend on this small contract only; the server
depends on them, never the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from botkit.testing.fake_graph.state import GraphState
from botkit.testing.fake_graph.wire import RecordedRequest, Reply


class GraphFake(Protocol):
    """The fake as its handlers see it: the token it expects, its base URL and its state."""

    access_token: str | None
    url: str
    state: GraphState


#: ``handler(fake, request, match)``: a reply, or None to leave the request to later routes.
Handler = Callable[
    [GraphFake, RecordedRequest, "re.Match[str]"], "Reply | Awaitable[Reply | None] | None"
]


@dataclass(frozen=True)
class Route:
    """``method`` (or ``"*"`` for any) and a ``path`` regex matched in full, then the handler.

    With ``auth`` (the default) a request without the fake's access token is answered 401 /
    code 190 before the handler runs; routes that check another token set it to False.
    """

    method: str
    path: str
    handler: Handler
    auth: bool = True
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile(self.path))

    def match(self, method: str, path: str) -> re.Match[str] | None:
        """The path match when this route takes ``method`` and ``path``, else None."""
        if self.method not in ("*", method):
            return None
        return self.pattern.fullmatch(path)
