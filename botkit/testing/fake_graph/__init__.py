"""A fake Graph API: a real HTTP server on a loopback port that answers like Meta and records.

It runs in a background thread with its own event loop, so sync and async tests alike can point
a client at ``fake.url``. Besides answering message sends, read receipts, media and webhook
subscription calls, it can fail, slow down or drop the next requests, to test retry paths::

    with FakeGraphAPI(access_token="t") as fake:
        ...  # a WhatsAppClient(access_token="t", graph_url=fake.url) sends
        assert fake.sent_messages()[0]["text"]["body"] == "hi"

Adding routes
-------------
Every Graph call the fake answers is a :class:`Route`: an HTTP method (``"*"`` for any), a
regular expression matched in full against the request path (surrounding slashes trimmed to a
single leading one: ``/v23.0/123/message_templates``) and a handler. Routes are tried in the
order of ``fake.routes``; the first handler that returns a :class:`Reply` answers. A handler
returning None leaves the request to the routes after it, and a request no route answers gets
Meta's own answers: "Unknown path components" (code 2500) or, under a version, "object does
not exist" (code 100, subcode 33). Unless a route says ``auth=False``, a request without the
fake's access token is answered 401 / code 190 before its handler runs.

A handler is ``handler(fake, request, match)``, plain or ``async def``: ``fake`` is the
running fake as a :class:`GraphFake` (``access_token``, ``url``, ``state``), ``request`` the
:class:`RecordedRequest` (``json``, ``form``, ``params``, ``bearer``...), ``match`` the path
match with its named groups. It runs on the fake's own thread: state a test reads must be
guarded by ``fake.state.lock``. A feature keeps its routes in a module of its own, with a
``ROUTES`` list or a function that builds routes over a state object the test also holds::

    import re
    from botkit.testing.fake_graph import (
        FakeGraphAPI, GraphFake, RecordedRequest, Reply, Route, json_reply)

    def list_templates(fake: GraphFake, request: RecordedRequest,
                       match: re.Match[str]) -> Reply:
        return json_reply({"data": [], "waba": match["waba_id"]})

    ROUTES = [Route("GET", r"/v\\d+\\.\\d+/(?P<waba_id>\\d+)/message_templates", list_templates)]

    with FakeGraphAPI(access_token="t", routes=ROUTES) as fake:
        ...

To make such routes built in, add the module's ``ROUTES`` to ``routes.DEFAULT_ROUTES``; the
server module never changes for it. The built-in route modules (``messages``, ``media``,
``subscriptions``) are written the same way.

Modules: ``server`` (the class: lifecycle, inspection, scripting, the router), ``_http`` (the
HTTP/1.1 plumbing on h11: dropping a connection without an answer is impossible through ASGI),
``wire`` (requests, replies, Graph errors), ``route`` (:class:`Route` and what a handler
sees), ``state`` (what is recorded and declared), ``routes`` (the built-in route list).
"""

from __future__ import annotations

from botkit.testing.fake_graph.route import GraphFake, Handler, Route
from botkit.testing.fake_graph.server import FakeGraphAPI
from botkit.testing.fake_graph.wire import (
    RecordedRequest,
    Reply,
    graph_error,
    json_reply,
    object_missing,
    token_refused,
)

__all__ = [
    "FakeGraphAPI",
    "GraphFake",
    "Handler",
    "RecordedRequest",
    "Reply",
    "Route",
    "graph_error",
    "json_reply",
    "object_missing",
    "token_refused",
]
