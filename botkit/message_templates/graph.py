"""The template management calls on the Graph API, through the bot's :class:`WhatsAppClient`.

``GET /{waba_id}/message_templates`` is paged with cursors: every page is read, following
``paging.cursors.after`` while Meta gives a ``next`` page. Creating posts the definition (after
:func:`~botkit.message_templates.local_check.check_definition`); deleting by name removes every
language of the template, by name and id one of them. Graph errors are raised as they come
(:class:`botkit.GraphError`, with Meta's message and what to do).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botkit.message_templates.errors import TemplateError
from botkit.message_templates.local_check import check_definition

if TYPE_CHECKING:
    from botkit.whatsapp.client import WhatsAppClient

LIST_FIELDS = ("id,name,language,status,category,sub_category,parameter_format,components,"
               "quality_score,rejected_reason")
PAGE_SIZE = 100
MAX_PAGES = 1000
_ACCOUNT = re.compile(r"^\d+$")


def account_path(waba_id: str) -> str:
    if not isinstance(waba_id, str) or not _ACCOUNT.match(waba_id):
        raise ValueError(f"a WhatsApp Business Account id is digits, got {waba_id!r}")
    return f"/{waba_id}/message_templates"


async def fetch_templates(client: WhatsAppClient, waba_id: str, *,
                          page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """Every template of the account, all pages read."""
    path = account_path(waba_id)
    found: list[dict[str, Any]] = []
    after: str | None = None
    cursors: set[str] = set()
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"fields": LIST_FIELDS, "limit": page_size}
        if after is not None:
            params["after"] = after
        page = await client.request("GET", path, params=params)
        data = page.get("data")
        found += [dict(item) for item in data if isinstance(item, Mapping)] if isinstance(
            data, list) else []
        paging = page.get("paging")
        paging = paging if isinstance(paging, Mapping) else {}
        cursor = paging.get("cursors", {}).get("after") if isinstance(
            paging.get("cursors"), Mapping) else None
        if not paging.get("next") or not isinstance(cursor, str) or not cursor:
            return found
        if cursor in cursors:
            raise TemplateError(f"the template list of {waba_id} came back to a page it had "
                                "given already; stopped reading")
        cursors.add(cursor)
        after = cursor
    raise TemplateError(f"the template list of {waba_id} has more than {MAX_PAGES} pages; "
                        "stopped reading")


async def create_template(client: WhatsAppClient, waba_id: str,
                          document: Mapping[str, Any]) -> dict[str, Any]:
    """Create the template (checked locally first); Meta's answer: ``id``, ``status``,
    ``category``."""
    checked = check_definition(document)
    return await client.request("POST", account_path(waba_id), json=checked)


async def delete_template(client: WhatsAppClient, waba_id: str, name: str,
                          template_id: str | None = None) -> None:
    """Delete every language of ``name``, or only the one whose id is ``template_id``."""
    params = {"name": name}
    if template_id is not None:
        params["hsm_id"] = template_id
    await client.request("DELETE", account_path(waba_id), params=params)
