"""Template definitions shaped like ``GET /{waba_id}/message_templates`` returns them, and
helpers shared by the template tests."""

from __future__ import annotations

import copy
from typing import Any

from botkit.message_templates import CachedTemplate

WABA = "104996122399160"
NOW = 1782900000.0

ORDER_CONFIRMATION: dict[str, Any] = {
    "name": "order_confirmation", "language": "en_US", "category": "UTILITY",
    "parameter_format": "POSITIONAL",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}",
         "example": {"header_text": ["A-1042"]}},
        {"type": "BODY", "text": "Thanks for your order, {{1}}! It ships on {{2}} for {{3}}.",
         "example": {"body_text": [["Ana", "July 3", "$12.50"]]}},
        {"type": "FOOTER", "text": "Reply STOP to opt out"},
        {"type": "BUTTONS", "buttons": [
            {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15551234567"},
            {"type": "URL", "text": "Track order", "url": "https://shop.example.com/t/{{1}}",
             "example": ["https://shop.example.com/t/A-1042"]},
            {"type": "QUICK_REPLY", "text": "Stop updates"}]},
    ],
}

ORDER_FOLLOWUP: dict[str, Any] = {
    "name": "order_followup", "language": "en_US", "category": "MARKETING",
    "parameter_format": "NAMED",
    "components": [
        {"type": "HEADER", "format": "IMAGE",
         "example": {"header_handle": ["4::aW1hZ2UvanBlZw==:ARb"]}},
        {"type": "BODY",
         "text": "Hi {{first_name}}, your order {{order_id}} of {{total}} left on {{shipped}}.",
         "example": {"body_text_named_params": [
             {"param_name": "first_name", "example": "Ana"},
             {"param_name": "order_id", "example": "A-1042"},
             {"param_name": "total", "example": "$12.50"},
             {"param_name": "shipped", "example": "July 3"}]}},
        {"type": "BUTTONS", "buttons": [
            {"type": "QUICK_REPLY", "text": "Stop promotions"},
            {"type": "URL", "text": "Help", "url": "https://shop.example.com/help"},
            {"type": "COPY_CODE", "example": "SAVE10"},
            {"type": "FLOW", "text": "Rate us", "flow_id": "1234567890",
             "flow_action": "navigate", "navigate_screen": "RATE"}]},
    ],
}

STORE_LOCATION: dict[str, Any] = {
    "name": "store_location", "language": "en_US", "category": "UTILITY",
    "components": [{"type": "HEADER", "format": "LOCATION"},
                   {"type": "BODY", "text": "Your parcel waits at this store."},
                   {"type": "FOOTER", "text": "Open 9-18"}],
}

INVOICE_READY: dict[str, Any] = {
    "name": "invoice_ready", "language": "de", "category": "UTILITY",
    "components": [{"type": "HEADER", "format": "DOCUMENT",
                    "example": {"header_handle": ["4::YXBwbGljYXRpb24vcGRm:ARc"]}},
                   {"type": "BODY", "text": "Ihre Rechnung {{1}} ist da.",
                    "example": {"body_text": [["R-77"]]}}],
}

PRODUCT_VIDEO: dict[str, Any] = {
    "name": "product_video", "language": "en_US", "category": "MARKETING",
    "components": [{"type": "HEADER", "format": "VIDEO",
                    "example": {"header_handle": ["4::dmlkZW8vbXA0:ARd"]}},
                   {"type": "BODY", "text": "See it in action."}],
}

VERIFY_CODE: dict[str, Any] = {  # an authentication template, as the list returns it
    "name": "verify_code", "language": "en_US", "category": "AUTHENTICATION",
    "components": [
        {"type": "BODY", "text": "*{{1}}* is your verification code. For your security, do "
                                 "not share this code.", "add_security_recommendation": True},
        {"type": "FOOTER", "text": "This code expires in 10 minutes."},
        {"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": "Copy code",
             "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}"}]},
    ],
}

SUMMER_CAROUSEL: dict[str, Any] = {
    "name": "summer_carousel", "language": "en_US", "category": "MARKETING",
    "components": [{"type": "BODY", "text": "Our summer picks"},
                   {"type": "CAROUSEL", "cards": []}],
}

DEFINITIONS = [ORDER_CONFIRMATION, ORDER_FOLLOWUP, STORE_LOCATION, INVOICE_READY, PRODUCT_VIDEO,
               VERIFY_CODE, SUMMER_CAROUSEL]


def cached(definition: dict[str, Any], *, status: str = "APPROVED", waba: str = WABA,
           template_id: str = "111", quality: str = "GREEN") -> CachedTemplate:
    """The definition as a sync would cache it."""
    item = {**copy.deepcopy(definition), "id": template_id, "status": status,
            "quality_score": {"score": quality}}
    return CachedTemplate.from_graph(waba, item, NOW)
