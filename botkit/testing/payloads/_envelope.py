"""The envelope every payload builder shares: the sample business and customer, fresh ids,
the one-change POST body, Meta-style batching (:func:`webhook`) and the exact wire bytes.

Separate from the builders so that each builder module depends on this one only, never on
each other.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

# The business and customer of the sample payloads (fictional numbers and ids).
WABA_ID = "104996122399160"
PHONE_NUMBER_ID = "109862385428321"
DISPLAY_PHONE_NUMBER = "15551234567"
CUSTOMER_WA_ID = "15557654321"
CUSTOMER_NAME = "Priya Raman"

Body = dict[str, Any]


def new_wamid() -> str:
    """A fresh message id in Meta's format (``wamid.`` + base64)."""
    return "wamid." + base64.b64encode(b"\x1c\x18\x0b" + secrets.token_bytes(27)).decode()


def new_media_id() -> str:
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def now() -> int:
    return int(time.time())


def wire_bytes(payload: Mapping[str, Any]) -> bytes:
    """The body as Meta sends it: compact JSON, non-ASCII as ``\\uXXXX`` and ``/`` as ``\\/``.

    Outside strings JSON has no ``/``, so escaping every slash only touches string contents.
    """
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


def change_body(field: str, value: Mapping[str, Any], *, waba_id: str = WABA_ID,
                entry_time: int | None = None) -> Body:
    """A POST body holding one change of ``field``; ``entry_time`` adds ``entry[].time``."""
    entry: dict[str, Any] = {"id": waba_id}
    if entry_time is not None:
        entry["time"] = entry_time
    entry["changes"] = [{"value": dict(value), "field": field}]
    return {"object": "whatsapp_business_account", "entry": [entry]}


def webhook(*bodies: Mapping[str, Any]) -> Body:
    """One POST carrying every update of ``bodies``, batched the way Meta batches them.

    Entries of the same account are joined; within an entry, ``messages`` changes of the same
    business number become one change whose contacts, messages, statuses and errors are
    concatenated (a sender's profile is listed once). Other changes are kept side by side.
    """
    if not bodies:
        raise ValueError("webhook() needs at least one body to batch")
    entries: dict[str, dict[str, Any]] = {}
    for body in bodies:
        for entry in body["entry"]:
            target = entries.setdefault(entry["id"], {"id": entry["id"], "changes": []})
            if "time" in entry:
                target.setdefault("time", entry["time"])
            for change in entry["changes"]:
                _add_change(target["changes"], change)
    ordered = [{key: e[key] for key in ("id", "time", "changes") if key in e}
               for e in entries.values()]
    return {"object": "whatsapp_business_account", "entry": ordered}


def _add_change(changes: list[dict[str, Any]], change: Mapping[str, Any]) -> None:
    value = json.loads(json.dumps(change["value"]))  # a deep copy: the caller's body stays as is
    if change["field"] == "messages":
        number = value.get("metadata", {}).get("phone_number_id")
        for existing in changes:
            same_number = existing["value"].get("metadata", {}).get("phone_number_id") == number
            if existing["field"] == "messages" and same_number:
                _merge_messages_value(existing["value"], value)
                return
    changes.append({"value": value, "field": change["field"]})


def _merge_messages_value(into: dict[str, Any], value: Mapping[str, Any]) -> None:
    for key in ("messages", "statuses", "errors"):
        if key in value:
            into.setdefault(key, []).extend(value[key])
    known = {(c.get("wa_id"), c.get("user_id")) for c in into.get("contacts", [])}
    for contact in value.get("contacts", []):
        if (contact.get("wa_id"), contact.get("user_id")) not in known:
            into.setdefault("contacts", []).append(contact)
            known.add((contact.get("wa_id"), contact.get("user_id")))


def messages_value(phone_number_id: str, display_phone_number: str) -> dict[str, Any]:
    """The start of a ``messages`` change value: the product and the business number."""
    return {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display_phone_number,
                         "phone_number_id": phone_number_id}}
