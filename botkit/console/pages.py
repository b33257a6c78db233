"""The console's pages: the overview (with its JSON twin for live refresh, and the delivery
funnel), events, dead letters and quarantine, plus the package's own script and stylesheet.

Everything is rendered on the server, so each page works without JavaScript; the script only
refreshes the overview and asks before a purge.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from quart import Blueprint, Response, request

from botkit.console._funnel_chart import FUNNEL_SECONDS, funnel_chart
from botkit.console._render import age, bar_chart
from botkit.console._web import ConsoleWeb
from botkit.console.queries import Overview
from botkit.store.admin import AdminError, EventFilter, StoreAdmin

KINDS = ("message", "status", "contact", "error", "field")
STATES = ("pending", "done", "dead", "quarantined")
EVENTS_SHOWN = 100
LETTERS_SHOWN = 500
QUARANTINE_SHOWN = 100
STATIC_TYPES = {"console.css": "text/css; charset=utf-8",
                "console.js": "text/javascript; charset=utf-8"}
# Counters of this process (prometheus names) shown on the overview: (label, name, labels).
PROCESS_COUNTERS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("Webhook answers 5xx", "botkit_webhook_responses_total", {"status": "5"}),
    ("Signature failures", "botkit_signature_failures_total", {}),
    ("Duplicates acknowledged", "botkit_duplicates_total", {}),
    ("Plugin failures", "botkit_deliveries_total", {"outcome": "failure"}),
    ("Dead letters", "botkit_dead_letters_total", {}),
    ("Quarantined", "botkit_quarantined_total", {}),
)


def overview_data(overview: Overview, counters: dict[str, float]) -> dict[str, Any]:
    """What the overview shows, as the page renders it and the API sends it."""
    return {**overview.as_json(),
            "display": {"received_last_hour": str(sum(overview.received)),
                        "backlog": str(overview.backlog),
                        "backlog_age": age(overview.backlog_age),
                        "dead_letters": str(overview.dead_letters),
                        "dead_last_hour": str(sum(overview.dead)),
                        "quarantined": str(overview.quarantined),
                        **{label: f"{value:.0f}" for label, value in counters.items()}},
            "charts": {"received": bar_chart(overview.received, overview.first_minute),
                       "dead": bar_chart(overview.dead, overview.first_minute)}}


def process_counters(bot: Any) -> dict[str, float]:
    """Totals since this process started, read from the bot's metrics registry."""
    registry = getattr(getattr(bot, "stats", None), "registry", None)
    if registry is None:
        return {}
    totals = {label: 0.0 for label, _, _ in PROCESS_COUNTERS}
    for metric in registry.collect():
        for sample in metric.samples:
            for label, name, wanted in PROCESS_COUNTERS:
                if sample.name == name and all(sample.labels.get(k, "").startswith(v)
                                               for k, v in wanted.items()):
                    totals[label] += sample.value
    return totals


def message_summary(payload: Any) -> dict[str, Any]:
    """Who wrote and what, for a message event (empty for anything else)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("item"), dict):
        return {}
    item, contact = payload["item"], payload.get("contact")
    profile = contact.get("profile") if isinstance(contact, dict) else None
    text = item.get("text")
    return {"type": item.get("type"), "from": item.get("from") or item.get("from_user_id"),
            "name": profile.get("name") if isinstance(profile, dict) else None,
            "text": text.get("body") if isinstance(text, dict) else None}


def register_pages(bp: Blueprint, web: ConsoleWeb) -> None:
    """Add every page to the blueprint."""
    static = {name: (resources.files("botkit.console") / "static" / name).read_bytes()
              for name in STATIC_TYPES}

    @bp.get("/static/<name>")
    async def static_file(name: str) -> Response:
        if name not in static:
            return Response("not found", 404, content_type="text/plain")
        return Response(static[name], content_type=STATIC_TYPES[name])

    @bp.get("")
    async def overview() -> Response:
        data = overview_data(await web.overview(), process_counters(web.bot))
        since = web.bot.clock() - FUNNEL_SECONDS
        funnels = await web.with_timelines(lambda reader: reader.funnel(since))
        return web.page("overview.html", section="overview", data=data,
                        funnels=[funnel_chart(f) for f in funnels])

    @bp.get("/")
    async def overview_slash() -> Response:
        return web.redirect(web.base)

    @bp.get("/api/overview")
    async def overview_api() -> Response:
        data = overview_data(await web.overview(), process_counters(web.bot))
        return Response(_json(web.redact.deep(data)), content_type="application/json")

    @bp.get("/events")
    async def events() -> Response:
        kind = request.args.get("kind") or None
        state = request.args.get("state") or None
        number = (request.args.get("number") or "").strip() or None
        if kind not in (None, *KINDS) or state not in (None, *STATES):
            return web.error_page(400, "Bad filter", "Choose a kind and a state from the lists.")
        if number is not None and (len(number) > 100 or not number.isprintable()):
            return web.error_page(400, "Bad filter", "A number is at most 100 characters.")
        if number:
            keys = await web.with_queries(
                lambda queries: queries.event_keys(number, kind, state, EVENTS_SHOWN))
            selection = EventFilter(keys=tuple(keys), kind=kind, state=state, limit=EVENTS_SHOWN)
        else:
            keys, selection = [], EventFilter(kind=kind, state=state, limit=EVENTS_SHOWN)
        rows = await web.with_admin(lambda admin: admin.events(selection)) \
            if keys or not number else []
        return web.page("events.html", section="events", rows=rows, kinds=KINDS, states=STATES,
                        kind=kind, state=state, number=number or "", shown=EVENTS_SHOWN)

    @bp.get("/event")
    async def event() -> Response:
        key = request.args.get("key", "")
        found = await web.with_admin(lambda admin: admin.event(key)) if key else None
        if found is None:
            return web.error_page(404, "No such event", "No event with that key is stored.")
        return web.page("event.html", section="events", event=found,
                        summary=message_summary(found.get("payload")))

    @bp.get("/dead-letters")
    async def dead_letters() -> Response:
        rows = await web.with_admin(lambda admin: admin.dead_letters())
        return web.page("dead_letters.html", section="dead", rows=rows[:LETTERS_SHOWN],
                        total=len(rows))

    @bp.get("/quarantine")
    async def quarantine() -> Response:
        show_all = request.args.get("all") == "1"

        def load(admin: StoreAdmin) -> list[dict[str, Any]]:
            rows = admin.quarantine(None if show_all else "held", QUARANTINE_SHOWN)
            for row in rows:
                item = admin.quarantined(str(row["id"]))
                row["payload"] = item["payload"] if item else b""
            return rows

        rows = await web.with_admin(load)
        return web.page("quarantine.html", section="quarantine", rows=rows, show_all=show_all,
                        shown=QUARANTINE_SHOWN)

    @bp.get("/quarantine/<item_id>")
    async def quarantined(item_id: str) -> Response:
        found = await web.with_admin(lambda admin: _quarantined(admin, item_id))
        if found is None:
            return web.error_page(404, "No such item", "Nothing with that id is in quarantine.")
        return web.page("quarantined.html", section="quarantine", item=found)

    @bp.route("/<path:rest>", methods=["GET", "POST"])
    async def not_found(rest: str) -> Response:
        return web.error_page(404, "Not found", "There is no such page in the console.")


def _quarantined(admin: StoreAdmin, item_id: str) -> dict[str, Any] | None:
    """The item, or ``None`` for an id that names nothing (or could not name anything)."""
    try:
        return admin.quarantined(item_id)
    except AdminError:
        return None


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))
