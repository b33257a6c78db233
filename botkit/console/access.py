"""Who gets in: the sign-in form, signing out, the session and CSRF checks in front of every
other console URL, and the security headers on every console answer.

Signed-out visitors learn nothing: pages send them to the sign-in form, API URLs answer a bare
401. A sign-in attempt is logged with the client's address only, never with what was typed.
"""

from __future__ import annotations

import logging

from quart import Blueprint, Response, g, request
from werkzeug.datastructures import MultiDict

from botkit.console._web import SECURITY_HEADERS, SESSION_COOKIE, ConsoleWeb
from botkit.console.auth import token_matches

log = logging.getLogger("botkit.console")

MAX_FORM_BYTES = 64 * 1024
PUBLIC_ENDPOINTS = frozenset({"login_form", "login", "static_file"})


def register_access(bp: Blueprint, web: ConsoleWeb) -> None:
    """Add the guard, the headers and the sign-in and sign-out routes to the blueprint."""
    token = web.settings.token or ""
    login_url = f"{web.base}/login"

    @bp.before_request
    async def guard() -> Response | None:
        endpoint = (request.endpoint or "").rpartition(".")[2]
        if endpoint in PUBLIC_ENDPOINTS:
            return None
        session = web.keeper.check(request.cookies.get(SESSION_COOKIE))
        if session is None:
            if request.path.startswith(f"{web.base}/api/"):
                return Response('{"error": "not signed in"}', 401,
                                content_type="application/json")
            return web.redirect(login_url)
        g.console_session = session
        if request.method == "POST":
            form = await read_form()
            if form is None:
                return web.error_page(413, "Too large", "That form is larger than any the "
                                      "console sends.")
            if not web.keeper.csrf_matches(session, form.get("csrf")):
                log.warning("console: %s %s from %s refused: missing or wrong CSRF token",
                            request.method, request.path, request.remote_addr)
                return web.error_page(403, "Forbidden", "This form is out of date or did not "
                                      "come from the console. Reload the page and try again.")
        return None

    @bp.after_request
    async def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        return response

    @bp.get("/login")
    async def login_form() -> Response:
        if web.keeper.check(request.cookies.get(SESSION_COOKIE)) is not None:
            return web.redirect(web.base)
        return web.page("login.html", error=None)

    @bp.post("/login")
    async def login() -> Response:
        address = request.remote_addr or "unknown"
        if web.limiter.blocked(address):
            log.warning("console sign-in from %s refused: too many failed attempts in the "
                        "last minute", address)
            response = web.page("login.html", 429, error="Too many failed attempts. Wait a "
                                "minute before trying again.")
            response.headers["Retry-After"] = "60"
            return response
        form = await read_form()
        given = form.get("token", "") if form is not None else ""
        if not given or not token_matches(given, token):
            failures = web.limiter.failed(address)
            log.warning("console sign-in failed from %s (%d in the last minute)", address,
                        failures)
            return web.page("login.html", 401, error="That token is not right.")
        _, cookie = web.keeper.start()
        log.info("console sign-in from %s", address)
        response = web.redirect(web.base)
        response.set_cookie(SESSION_COOKIE, cookie, max_age=web.keeper.seconds,
                            **web.cookie_flags())
        return response

    @bp.post("/logout")
    async def logout() -> Response:
        web.keeper.end(g.console_session)
        log.info("console sign-out from %s", request.remote_addr)
        response = web.redirect(login_url, ("ok", "Signed out."))
        response.delete_cookie(SESSION_COOKIE, path=web.base)
        return response


async def read_form() -> MultiDict[str, str] | None:
    """The posted form, or ``None`` when it says it is larger than a console form can be
    (bodies without a length stay under the app's own limit)."""
    length = request.content_length
    if length is not None and length > MAX_FORM_BYTES:
        return None
    return await request.form
