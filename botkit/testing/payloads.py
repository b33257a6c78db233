"""Webhook bodies shaped like Meta's, for tests and drills.

One builder per inbound message type and for statuses, value-level errors and every other webhook
field; each returns a whole POST body (one entry, one change) that passes botkit's shipped
schemas. :func:`webhook` merges several bodies into one POST, the way Meta batches updates, and
:func:`wire_bytes` encodes a body exactly as Meta puts it on the wire. Ids are fresh and
timestamps default to now, so the dedupe window keeps every built event.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict, Unpack

# The business and customer of the sample payloads (fictional numbers and ids).
WABA_ID = "104996122399160"
PHONE_NUMBER_ID = "109862385428321"
DISPLAY_PHONE_NUMBER = "15551234567"
CUSTOMER_WA_ID = "15557654321"
CUSTOMER_NAME = "Priya Raman"

Body = dict[str, Any]


class MessageOptions(TypedDict, total=False):
    """Who sent an inbound message, to which business number, and when.

    ``sender`` is the customer's wa_id (``None`` for a username-only user, who then needs
    ``user_id``); ``name`` their profile name (``None`` leaves it out); ``context`` the wamid the
    message quotes; ``timestamp`` unix seconds (default: now); ``message_id`` the wamid (default:
    a fresh one).
    """

    sender: str | None
    user_id: str | None
    name: str | None
    message_id: str | None
    timestamp: int | None
    context: str | None
    phone_number_id: str
    display_phone_number: str
    waba_id: str


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


# -- envelope --------------------------------------------------------------------------------


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


def _messages_value(phone_number_id: str, display_phone_number: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display_phone_number,
                         "phone_number_id": phone_number_id}}


# -- inbound messages ------------------------------------------------------------------------


def message(type_: str, content: Any = None, *, with_contact: bool = True,
            extra: Mapping[str, Any] | None = None, **options: Unpack[MessageOptions]) -> Body:
    """An inbound message of any type, ``content`` under the key named like the type.

    The typed builders below use it; call it directly for types Meta adds later.
    """
    sender = options.get("sender", CUSTOMER_WA_ID)
    user_id = options.get("user_id")
    if not sender and not user_id:
        raise ValueError("a message needs a sender (wa_id) or a user_id")
    item: dict[str, Any] = {}
    if options.get("context"):
        item["context"] = {"from": options.get("display_phone_number", DISPLAY_PHONE_NUMBER),
                           "id": options["context"]}
    if sender:
        item["from"] = sender
    if user_id:
        item["from_user_id"] = user_id
    item["id"] = options.get("message_id") or new_wamid()
    item["timestamp"] = str(options.get("timestamp") or now())
    item["type"] = type_
    if content is not None:
        item[type_] = content
    item.update(extra or {})
    value = _messages_value(options.get("phone_number_id", PHONE_NUMBER_ID),
                            options.get("display_phone_number", DISPLAY_PHONE_NUMBER))
    if with_contact:
        contact: dict[str, Any] = {"profile": {}}
        if (name := options.get("name", CUSTOMER_NAME)) is not None:
            contact["profile"]["name"] = name
        if sender:
            contact["wa_id"] = sender
        if user_id:
            contact["user_id"] = user_id
        value["contacts"] = [contact]
    value["messages"] = [item]
    return change_body("messages", value, waba_id=options.get("waba_id", WABA_ID))


def text_message(body: str, **options: Unpack[MessageOptions]) -> Body:
    return message("text", {"body": body}, **options)


def _media(media_id: str | None, mime_type: str, **fields: Any) -> dict[str, Any]:
    media_id = media_id or new_media_id()
    item = {key: value for key, value in fields.items() if value is not None}
    item.update({"mime_type": mime_type,
                 "sha256": base64.b64encode(secrets.token_bytes(32)).decode(), "id": media_id,
                 "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
                        f"?mid={media_id}&source=webhook"})
    return item


def image_message(*, caption: str | None = None, media_id: str | None = None,
                  mime_type: str = "image/jpeg", **options: Unpack[MessageOptions]) -> Body:
    return message("image", _media(media_id, mime_type, caption=caption), **options)


def audio_message(*, voice: bool = False, media_id: str | None = None,
                  mime_type: str | None = None, **options: Unpack[MessageOptions]) -> Body:
    """An audio file, or with ``voice`` a recorded voice note (ogg/opus)."""
    mime = mime_type or ("audio/ogg; codecs=opus" if voice else "audio/mpeg")
    content = _media(media_id, mime)
    content["voice"] = voice
    return message("audio", content, **options)


def video_message(*, caption: str | None = None, media_id: str | None = None,
                  mime_type: str = "video/mp4", **options: Unpack[MessageOptions]) -> Body:
    return message("video", _media(media_id, mime_type, caption=caption), **options)


def document_message(*, filename: str = "document.pdf", caption: str | None = None,
                     media_id: str | None = None, mime_type: str = "application/pdf",
                     **options: Unpack[MessageOptions]) -> Body:
    content = _media(media_id, mime_type, caption=caption, filename=filename)
    return message("document", content, **options)


def sticker_message(*, animated: bool = False, media_id: str | None = None,
                    **options: Unpack[MessageOptions]) -> Body:
    content = _media(media_id, "image/webp")
    content["animated"] = animated
    return message("sticker", content, **options)


def location_message(latitude: float, longitude: float, *, name: str | None = None,
                     address: str | None = None, url: str | None = None,
                     **options: Unpack[MessageOptions]) -> Body:
    content = {"latitude": latitude, "longitude": longitude, "name": name, "address": address,
               "url": url}
    return message("location", {k: v for k, v in content.items() if v is not None}, **options)


def contact_card(formatted_name: str, *, phone: str | None = None,
                 wa_id: str | None = None) -> dict[str, Any]:
    """A shared contact card for :func:`contacts_message`."""
    first, _, last = formatted_name.partition(" ")
    card: dict[str, Any] = {"name": {"formatted_name": formatted_name, "first_name": first}}
    if last:
        card["name"]["last_name"] = last
    if phone:
        card["phones"] = [{"phone": phone, "type": "CELL", **({"wa_id": wa_id} if wa_id else {})}]
    return card


def contacts_message(*cards: Mapping[str, Any], **options: Unpack[MessageOptions]) -> Body:
    shared = [dict(card) for card in cards] or [contact_card("Mila Schmidt",
                                                             phone="+49 1555 0198765")]
    return message("contacts", None, extra={"contacts": shared}, **options)


def button_reply_message(button_id: str, title: str, **options: Unpack[MessageOptions]) -> Body:
    """A tap on a reply button the business sent (``interactive`` / ``button_reply``)."""
    content = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
    return message("interactive", content, **options)


def list_reply_message(row_id: str, title: str, description: str | None = None,
                       **options: Unpack[MessageOptions]) -> Body:
    """A row picked from a list message (``interactive`` / ``list_reply``)."""
    row = {"id": row_id, "title": title}
    if description is not None:
        row["description"] = description
    return message("interactive", {"type": "list_reply", "list_reply": row}, **options)


def flow_reply_message(response: Mapping[str, Any], **options: Unpack[MessageOptions]) -> Body:
    """A completed WhatsApp Flow: ``response_json`` is the form's answers as a JSON string."""
    reply = {"response_json": json.dumps(dict(response)), "body": "Sent", "name": "flow"}
    return message("interactive", {"type": "nfm_reply", "nfm_reply": reply}, **options)


def button_message(payload: str, text: str, **options: Unpack[MessageOptions]) -> Body:
    """A quick-reply button tapped on a template message (type ``button``)."""
    return message("button", {"payload": payload, "text": text}, **options)


def reaction_message(reacted_to: str, emoji: str | None,
                     **options: Unpack[MessageOptions]) -> Body:
    """A reaction to the message ``reacted_to``; ``emoji=None`` is a removed reaction."""
    content = {"message_id": reacted_to}
    if emoji is not None:
        content["emoji"] = emoji
    return message("reaction", content, **options)


def order_message(*items: tuple[str, int, float, str], catalog_id: str = "1948369870038351",
                  text: str | None = None, **options: Unpack[MessageOptions]) -> Body:
    """A catalog order; each item is ``(product_retailer_id, quantity, item_price, currency)``."""
    products = [{"product_retailer_id": pid, "quantity": qty, "item_price": price,
                 "currency": currency} for pid, qty, price, currency in
                (items or [("PLANTER-BLU-L", 1, 30, "USD")])]
    content: dict[str, Any] = {"catalog_id": catalog_id, "product_items": products}
    if text is not None:
        content["text"] = text
    return message("order", content, **options)


def system_message(new_wa_id: str = "15550654321", *, kind: str = "user_changed_number",
                   **options: Unpack[MessageOptions]) -> Body:
    """The customer changed number (or identity): a ``system`` message, without contacts."""
    sender = options.get("sender", CUSTOMER_WA_ID)
    content = {"body": f"User {options.get('name', CUSTOMER_NAME)} changed from {sender} to "
                       f"{new_wa_id}", "wa_id": new_wa_id, "type": kind}
    return message("system", content, with_contact=False, **options)


def unsupported_message(original_type: str = "poll_creation",
                        **options: Unpack[MessageOptions]) -> Body:
    errors = [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown",
               "error_data": {"details": "Message type is currently not supported."}}]
    return message("unsupported", {"type": original_type}, extra={"errors": errors}, **options)


def request_welcome_message(**options: Unpack[MessageOptions]) -> Body:
    """A customer opened the chat for the first time (no content object)."""
    return message("request_welcome", **options)


def revoke_message(original_id: str, **options: Unpack[MessageOptions]) -> Body:
    """The customer deleted an earlier message."""
    return message("revoke", {"original_message_id": original_id}, **options)


def edit_message(original_id: str, new_text: str, **options: Unpack[MessageOptions]) -> Body:
    """The customer edited an earlier text message."""
    content = {"original_message_id": original_id,
               "message": {"type": "text", "text": {"body": new_text}}}
    return message("edit", content, **options)


# -- statuses and value-level errors -------------------------------------------------------


def status(wamid: str | None = None, status: str = "delivered", *,
           recipient: str | None = CUSTOMER_WA_ID, recipient_user_id: str | None = None,
           timestamp: int | None = None, pricing_category: str | None = None,
           errors: Iterable[Mapping[str, Any]] | None = None,
           biz_opaque_callback_data: str | None = None, phone_number_id: str = PHONE_NUMBER_ID,
           display_phone_number: str = DISPLAY_PHONE_NUMBER, waba_id: str = WABA_ID) -> Body:
    """A status update of a message the business sent (``sent``, ``delivered``, ``read``,
    ``played``, ``failed`` or any newer value). A ``failed`` status without ``errors`` carries
    Meta's "message undeliverable" (131026); ``pricing_category`` adds per-message pricing."""
    item: dict[str, Any] = {"id": wamid or new_wamid(), "status": status,
                            "timestamp": str(timestamp or now())}
    if recipient:
        item["recipient_id"] = recipient
    if recipient_user_id:
        item["recipient_user_id"] = recipient_user_id
    if biz_opaque_callback_data is not None:
        item["biz_opaque_callback_data"] = biz_opaque_callback_data
    if pricing_category is not None:
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular",
                           "category": pricing_category}
    if errors is None and status == "failed":
        errors = [error_object(131026, "Message undeliverable")]
    if errors is not None:
        item["errors"] = [dict(error) for error in errors]
    value = _messages_value(phone_number_id, display_phone_number)
    value["statuses"] = [item]
    return change_body("messages", value, waba_id=waba_id)


def error_object(code: int, title: str, details: str | None = None) -> dict[str, Any]:
    """One error as Meta writes it in ``errors[]``."""
    error: dict[str, Any] = {"code": code, "title": title, "message": title}
    if details is not None:
        error["error_data"] = {"details": details}
    error["href"] = "https://developers.facebook.com/documentation/business-messaging/whatsapp/" \
                    "support/error-codes"
    return error


def value_error(code: int = 131000, title: str = "Something went wrong",
                details: str = "Unsupported webhook payload", *,
                phone_number_id: str = PHONE_NUMBER_ID,
                display_phone_number: str = DISPLAY_PHONE_NUMBER, waba_id: str = WABA_ID) -> Body:
    """A value-level error: a system, app or account problem not tied to one message."""
    value = _messages_value(phone_number_id, display_phone_number)
    value["errors"] = [error_object(code, title, details)]
    return change_body("messages", value, waba_id=waba_id)


# -- other webhook fields ----------------------------------------------------------------


def _template(**fields: Any) -> dict[str, Any]:
    return {"message_template_id": 1689556908129832, "message_template_name": "order_update",
            "message_template_language": "en_US", **fields}


def _messages_style(key: str, items: Callable[[], list[dict[str, Any]]]
                    ) -> Callable[[], dict[str, Any]]:
    return lambda: {**_messages_value(PHONE_NUMBER_ID, DISPLAY_PHONE_NUMBER), key: items()}


# A realistic value for every field botkit has a schema for (built fresh on each call).
FIELD_VALUES: dict[str, Callable[[], dict[str, Any]]] = {
    "account_alerts": lambda: {
        "entity_type": "PHONE_NUMBER", "entity_id": PHONE_NUMBER_ID,
        "alert_info": {"alert_severity": "INFORMATIONAL", "alert_status": "ACTIVE",
                       "alert_type": "OBA_APPROVED",
                       "alert_description": "This phone number now has a green badge."}},
    "account_review_update": lambda: {"decision": "APPROVED"},
    "account_update": lambda: {"event": "ACCOUNT_VIOLATION",
                               "violation_info": {"violation_type": "SCAM"}},
    "automatic_events": _messages_style("automatic_events", lambda: [
        {"id": new_wamid(), "event_name": "Purchase", "timestamp": now(),
         "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4Xvnp",
         "custom_data": {"currency": "USD", "value": 42.5}}]),
    "business_capability_update": lambda: {"max_daily_conversations_per_business": "TIER_10K",
                                           "max_phone_numbers_per_waba": 25},
    "calls": _messages_style("calls", lambda: [
        {"id": "wacid." + secrets.token_hex(16), "from": CUSTOMER_WA_ID,
         "to": DISPLAY_PHONE_NUMBER, "event": "terminate", "timestamp": str(now()),
         "direction": "USER_INITIATED", "duration": 42}]),
    "flows": lambda: {"event": "FLOW_STATUS_CHANGE", "flow_id": "6627390910605886",
                      "message": "Flow Appointment booking changed status from DRAFT to PUBLISHED",
                      "old_status": "DRAFT", "new_status": "PUBLISHED"},
    "history": _messages_style("history", lambda: [
        {"metadata": {"phase": 0, "chunk_order": 1, "progress": 100},
         "threads": [{"id": CUSTOMER_WA_ID, "messages": [
             {"from": CUSTOMER_WA_ID, "id": new_wamid(), "timestamp": str(now() - 86400),
              "type": "text", "text": {"body": "Thank you!"},
              "history_context": {"status": "READ"}}]}]}]),
    "message_template_components_update": lambda: _template(
        message_template_title="Your order is on its way",
        message_template_element="Hi {{1}}, order {{2}} has shipped.",
        message_template_footer="Reply STOP to opt out"),
    "message_template_quality_update": lambda: _template(previous_quality_score="GREEN",
                                                         new_quality_score="YELLOW"),
    "message_template_status_update": lambda: {"event": "APPROVED", **_template(),
                                               "reason": "NONE",
                                               "message_template_category": "UTILITY"},
    "partner_solutions": lambda: {"event": "SOLUTION_CREATED", "solution_id": "1072381797530745",
                                  "solution_status": "INITIATED"},
    "payment_configuration_update": lambda: {
        "configuration_name": "default-upi", "provider_name": "razorpay",
        "provider_mid": "rzp_test_mid_1", "status": "Active", "created_timestamp": now() - 3600,
        "updated_timestamp": now()},
    "phone_number_name_update": lambda: {"display_phone_number": DISPLAY_PHONE_NUMBER,
                                         "decision": "APPROVED",
                                         "requested_verified_name": "Green Thumb Planters",
                                         "rejection_reason": None},
    "phone_number_quality_update": lambda: {
        "display_phone_number": DISPLAY_PHONE_NUMBER, "event": "THROUGHPUT_UPGRADE",
        "max_daily_conversations_per_business": "TIER_UNLIMITED"},
    "security": lambda: {"display_phone_number": DISPLAY_PHONE_NUMBER,
                         "event": "PIN_CHANGED"},
    "smb_app_state_sync": _messages_style("state_sync", lambda: [
        {"type": "contact", "action": "add", "metadata": {"timestamp": str(now())},
         "contact": {"full_name": "Mila Schmidt", "first_name": "Mila",
                     "phone_number": "4915550198765"}}]),
    "smb_message_echoes": _messages_style("message_echoes", lambda: [
        {"from": DISPLAY_PHONE_NUMBER, "to": CUSTOMER_WA_ID, "id": new_wamid(),
         "timestamp": str(now()), "type": "text", "text": {"body": "We're open until 6pm."}}]),
    "template_category_update": lambda: _template(previous_category="UTILITY",
                                                  new_category="MARKETING"),
    "user_id_update": _messages_style("user_id_update", lambda: [
        {"wa_id": CUSTOMER_WA_ID, "detail": "The user's business-scoped user id changed",
         "user_id": {"previous": "US.13491208655302741918", "current": "US.13491208655302749999"},
         "timestamp": str(now())}]),
    "user_preferences": lambda: {
        **_messages_value(PHONE_NUMBER_ID, DISPLAY_PHONE_NUMBER),
        "contacts": [{"profile": {"name": CUSTOMER_NAME}, "wa_id": CUSTOMER_WA_ID}],
        "user_preferences": [{"wa_id": CUSTOMER_WA_ID, "detail": "User requested to stop "
                              "marketing messages", "category": "marketing_messages",
                              "value": "stop", "timestamp": now()}]},
}


def field_change(field: str, value: Mapping[str, Any] | None = None, *, waba_id: str = WABA_ID,
                 entry_time: int | None = None, **changes: Any) -> Body:
    """A change of any webhook field other than ``messages``.

    Without ``value`` the field's sample value (:data:`FIELD_VALUES`) is used, with ``changes``
    replacing its top-level keys: ``field_change("account_review_update", decision="REJECTED")``.
    ``entry[].time`` defaults to now, as Meta sets it on these fields.
    """
    if value is None:
        if field not in FIELD_VALUES:
            known = ", ".join(sorted(FIELD_VALUES))
            raise ValueError(f"no sample value for field {field!r}: pass value= "
                             f"(fields with samples: {known})")
        value = FIELD_VALUES[field]()
    return change_body(field, {**value, **changes}, waba_id=waba_id,
                       entry_time=entry_time or now())


# -- named samples (``botkit send-test --kind``) ---------------------------------------------

SAMPLES: dict[str, Callable[[], Body]] = {
    "text": lambda: text_message("Hi! Do you have the blue planter in stock?"),
    "image": lambda: image_message(caption="Do you have this one in green?"),
    "audio": lambda: audio_message(),
    "voice": lambda: audio_message(voice=True),
    "video": lambda: video_message(caption="The crack is on the left side"),
    "document": lambda: document_message(filename="invoice-4471.pdf", caption="My invoice"),
    "sticker": lambda: sticker_message(),
    "location": lambda: location_message(51.5033635, -0.1276248, name="Westminster Pier"),
    "contacts": lambda: contacts_message(),
    "button_reply": lambda: button_reply_message("confirm", "Confirm", context=new_wamid()),
    "list_reply": lambda: list_reply_message("ship_express", "Express (1-2 days)",
                                             "Arrives by Thursday", context=new_wamid()),
    "flow_reply": lambda: flow_reply_message({"flow_token": "flw_tok_1", "date": "2026-07-14"},
                                             context=new_wamid()),
    "button": lambda: button_message("STOP_PROMOTIONS", "Stop promotions", context=new_wamid()),
    "reaction": lambda: reaction_message(new_wamid(), "\N{THUMBS UP SIGN}"),
    "reaction_removed": lambda: reaction_message(new_wamid(), None),
    "order": lambda: order_message(("PLANTER-BLU-L", 2, 30, "GBP"), ("SOIL-5L", 1, 8.5, "GBP")),
    "system": lambda: system_message(),
    "unsupported": lambda: unsupported_message(),
    "request_welcome": lambda: request_welcome_message(),
    "revoke": lambda: revoke_message(new_wamid()),
    "edit": lambda: edit_message(new_wamid(), "Sorry, I meant the green planter"),
    **{f"status_{name}": (lambda name=name: status(status=name)) for name in
       ("sent", "delivered", "read", "played", "failed")},
    "error": lambda: value_error(),
    **{field: (lambda field=field: field_change(field)) for field in FIELD_VALUES},
}


def sample(kind: str) -> Body:
    """A fresh body of a named kind (a message type, ``status_<status>``, ``error`` or a field)."""
    try:
        return SAMPLES[kind]()
    except KeyError:
        raise ValueError(f"unknown sample kind {kind!r}; expected one of: "
                         f"{', '.join(SAMPLES)}") from None
