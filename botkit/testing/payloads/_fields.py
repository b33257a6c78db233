"""Builders of every webhook field other than ``messages``: a realistic sample value per field
botkit has a schema for (:data:`FIELD_VALUES`) and :func:`field_change` to build or vary one.

Separate because it is a table of Meta's shapes, long and data-like, that changes whenever Meta
adds a field.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from botkit.testing.payloads._envelope import (
    CUSTOMER_NAME,
    CUSTOMER_WA_ID,
    DISPLAY_PHONE_NUMBER,
    PHONE_NUMBER_ID,
    WABA_ID,
    Body,
    change_body,
    messages_value,
    new_wamid,
    now,
)


def _template(**fields: Any) -> dict[str, Any]:
    return {"message_template_id": 1689556908129832, "message_template_name": "order_update",
            "message_template_language": "en_US", **fields}


def _messages_style(key: str, items: Callable[[], list[dict[str, Any]]]
                    ) -> Callable[[], dict[str, Any]]:
    return lambda: {**messages_value(PHONE_NUMBER_ID, DISPLAY_PHONE_NUMBER), key: items()}


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
        **messages_value(PHONE_NUMBER_ID, DISPLAY_PHONE_NUMBER),
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
