"""The console's buttons: replay an event, retry or purge a dead letter, reprocess a quarantined
item. Each goes through the store's admin interface exactly as ``botkit events``,
``dead-letters`` and ``quarantine`` do, then returns to the page it came from with a note.

The session and CSRF checks run before any of these (see ``access``); an id that names nothing
is a 404, not a silent no-op.
"""

from __future__ import annotations

import logging
from typing import Any

from quart import Blueprint, Response, request

from botkit.console._web import ConsoleWeb
from botkit.store.admin import AdminError, EventFilter, StoreAdmin

log = logging.getLogger("botkit.console")


def register_actions(bp: Blueprint, web: ConsoleWeb) -> None:
    """Add the POST endpoints behind the console's buttons to the blueprint."""

    async def done(default: str, note: str, kind: str = "ok") -> Response:
        """Back to the page the button was on (``next``), with a note about what happened."""
        web.nudge_dispatch()
        target = (await request.form).get("next")
        return web.redirect(web.back_to(target, default), (kind, note))

    async def fields(*names: str) -> tuple[str, ...]:
        form = await request.form
        return tuple((form.get(name) or "").strip() for name in names)

    @bp.post("/events/replay")
    async def replay() -> Response:
        (key,) = await fields("key")

        def run(admin: StoreAdmin) -> tuple[dict[str, Any] | None, int]:
            event = admin.event(key) if key else None
            return event, admin.replay(EventFilter(keys=(key,))) if event else 0

        event, count = await web.with_admin(run)
        if event is None:
            return web.error_page(404, "No such event", "No event with that key is stored.")
        log.info("console: event %s replayed by %s (%d queued)", key, request.remote_addr, count)
        if count:
            return await done(f"{web.base}/events", f"Event {key} queued for dispatch again.")
        return await done(f"{web.base}/events", f"Event {key} was not replayed: it is "
                    f"{event['state']} (quarantined events are reprocessed from the "
                    "quarantine page, waiting ones are about to run).", "error")

    async def dead_letter_action(verb: str) -> Response:
        key, plugin = await fields("key", "plugin")

        def run(admin: StoreAdmin) -> int | None:
            if not key or not plugin or not admin.dead_letters(plugin, (key,)):
                return None
            if verb == "retry":
                return admin.retry_dead(plugin, (key,))
            return admin.purge_dead(plugin, (key,))

        count = await web.with_admin(run)
        if count is None:
            return web.error_page(404, "No such dead letter",
                                  "That plugin has no dead letter for that event (any more).")
        log.info("console: dead letter of %s for %s %s by %s", plugin, key,
                 "retried" if verb == "retry" else "purged", request.remote_addr)
        if verb == "retry":
            return await done(f"{web.base}/dead-letters",
                        f"Dead letter of {plugin} for {key} queued for another try.")
        return await done(f"{web.base}/dead-letters", f"Dead letter of {plugin} for {key} purged.")

    @bp.post("/dead-letters/retry")
    async def retry() -> Response:
        return await dead_letter_action("retry")

    @bp.post("/dead-letters/purge")
    async def purge() -> Response:
        return await dead_letter_action("purge")

    @bp.post("/quarantine/reprocess")
    async def reprocess() -> Response:
        (item_id,) = await fields("id")

        def run(admin: StoreAdmin) -> tuple[dict[str, Any] | None, tuple[int, int]]:
            try:
                item = admin.quarantined(item_id) if item_id else None
            except AdminError:  # not an id this store could have given
                return None, (0, 0)
            if item is None or item["state"] != "held":
                return item, (0, 0)
            return item, admin.reprocess((item_id,))

        item, (handed, _) = await web.with_admin(run)
        if item is None:
            return web.error_page(404, "No such item", "Nothing with that id is in quarantine.")
        back = f"{web.base}/quarantine"
        if item["state"] != "held":
            return await done(back, f"Item {item_id} was reprocessed before.", "error")
        log.info("console: quarantined item %s reprocessed by %s (%s)", item_id,
                 request.remote_addr, "handed back" if handed else "still unreadable")
        if handed:
            return await done(back, f"Item {item_id} handed to dispatch again.")
        return await done(back, f"Item {item_id} is still unreadable; it stays in quarantine.",
                    "error")
