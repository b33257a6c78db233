"""The routes every :class:`FakeGraphAPI` answers unless told otherwise, in the order tried.

The one place a feature's route module is listed to make its routes built in (a test can also
pass them per fake: ``FakeGraphAPI(routes=...)``); the server itself never changes for it.
"""

from __future__ import annotations

from botkit.testing.fake_graph import media, media_upload, messages, subscriptions, templates
from botkit.testing.fake_graph.route import Route

DEFAULT_ROUTES: tuple[Route, ...] = (*messages.ROUTES, *media.ROUTES, *media_upload.ROUTES,
                                     *subscriptions.ROUTES, *templates.ROUTES)
