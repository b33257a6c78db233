"""The event schemas: sample payloads pass, broken fields fail with their path, new things pass."""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from botkit.validation.schemas import SchemaLoadError, SchemaValidator, describe, json_path

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
SHARED = Path(os.environ.get("BOTKIT_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
PAYLOADS = SHARED / "whatsapp" / "payloads"
PAYLOAD_FILES = sorted(PAYLOADS.glob("*.json"))
SCHEMA_FILES = sorted(SCHEMAS.rglob("*.schema.json"))

# Fields of SPEC.md section 9 that botkit ships a schema for.
DOCUMENTED_FIELDS = {
    "account_update", "account_review_update", "account_alerts", "message_template_status_update",
    "message_template_quality_update", "message_template_components_update",
    "template_category_update", "phone_number_name_update", "phone_number_quality_update",
    "business_capability_update", "security", "flows", "user_preferences", "history",
    "smb_message_echoes", "user_id_update", "calls", "automatic_events", "partner_solutions",
    "payment_configuration_update", "smb_app_state_sync",
}
MESSAGE_ITEM_KINDS = {"contacts": "contact", "messages": "message", "statuses": "status",
                      "errors": "error"}


@pytest.fixture(scope="module")
def schemas() -> SchemaValidator:
    return SchemaValidator()


def load(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_bytes())


def first_value(name: str) -> dict[str, Any]:
    return load(name)["entry"][0]["changes"][0]["value"]


def message(name: str = "message_text.json") -> dict[str, Any]:
    return first_value(name)["messages"][0]


def status(name: str = "status_failed.json") -> dict[str, Any]:
    return first_value(name)["statuses"][0]


def items_of(body: dict[str, Any]):
    """(kind, item, field) for every event botkit would store from ``body``."""
    for entry in body["entry"]:
        for change in entry["changes"]:
            field, value = change["field"], change["value"]
            if field != "messages":
                yield "field", value, field
                continue
            yield "metadata", value["metadata"], None
            for key, kind in MESSAGE_ITEM_KINDS.items():
                for item in value.get(key, []):
                    yield kind, item, None


def with_unknown_keys(value: Any) -> Any:
    """A copy of ``value`` with a key Meta might add tomorrow in every object, at every depth."""
    if isinstance(value, dict):
        out = {key: with_unknown_keys(item) for key, item in value.items()}
        out["internal_1p_only_data"] = {"added": ["later", 1, None]}
        return out
    if isinstance(value, list):
        return [with_unknown_keys(item) for item in value]
    return value


# --- every sample payload passes -------------------------------------------------------------


def test_the_sample_payloads_are_found():
    assert len(PAYLOAD_FILES) >= 60, f"sample payloads not found under {PAYLOADS}"


@pytest.mark.parametrize("path", PAYLOAD_FILES, ids=lambda p: p.name)
def test_sample_body_is_valid(schemas, path):
    assert schemas.validate_body(json.loads(path.read_bytes())) == []


@pytest.mark.parametrize("path", PAYLOAD_FILES, ids=lambda p: p.name)
def test_every_item_of_a_sample_passes_its_own_schema(schemas, path):
    body = json.loads(path.read_bytes())
    found = list(items_of(body))
    assert found
    for kind, item, field in found:
        assert schemas.errors(kind, item, field=field) == [], (kind, field)
        assert schemas.is_valid(kind, item, field=field)
        if kind == "field":
            assert field in schemas.fields(), f"{field} has no schema of its own"


@pytest.mark.parametrize("path", PAYLOAD_FILES, ids=lambda p: p.name)
def test_unknown_keys_anywhere_pass(schemas, path):
    assert schemas.validate_body(with_unknown_keys(json.loads(path.read_bytes()))) == []


# --- fields botkit reads are strict ----------------------------------------------------------


def test_message_without_id(schemas):
    item = message()
    del item["id"]
    assert schemas.errors("message", item) == ["$.id: required key is missing"]
    assert not schemas.is_valid("message", item)


def test_message_timestamp_must_be_a_string_of_digits(schemas):
    item = message()
    item["timestamp"] = 1782900000
    assert schemas.errors("message", item) == ["$.timestamp: expected string, got integer"]
    item["timestamp"] = "2026-07-01T00:00:00Z"
    assert schemas.errors("message", item) == ["$.timestamp: expected a string of digits"]


def test_text_message_needs_a_string_body(schemas):
    item = message()
    item["text"] = {}
    assert schemas.errors("message", item) == ["$.text.body: required key is missing"]
    item["text"] = {"body": 42}
    assert schemas.errors("message", item) == ["$.text.body: expected string, got integer"]
    del item["text"]
    assert schemas.errors("message", item) == ["$.text: required key is missing"]


@pytest.mark.parametrize("name", ["message_image.json", "message_audio.json", "message_video.json",
                                  "message_document.json", "message_sticker.json"])
def test_media_message_needs_its_media_id(schemas, name):
    item = message(name)
    kind = item["type"]
    del item[kind]["id"]
    assert schemas.errors("message", item) == [f"$.{kind}.id: required key is missing"]
    item[kind]["id"] = 1127175522581514
    assert schemas.errors("message", item) == [f"$.{kind}.id: expected string, got integer"]


def test_location_coordinates_are_numbers(schemas):
    item = message("message_location.json")
    item["location"]["latitude"] = "51.5033635"
    assert schemas.errors("message", item) == ["$.location.latitude: expected number, got string"]
    item["location"]["latitude"] = 0
    assert schemas.errors("message", item) == []


def test_interactive_reply_ids_and_titles_are_strings(schemas):
    item = message("message_interactive_button_reply.json")
    del item["interactive"]["button_reply"]["id"]
    item["interactive"]["button_reply"]["title"] = ["Confirm"]
    assert schemas.errors("message", item) == [
        "$.interactive.button_reply.id: required key is missing",
        "$.interactive.button_reply.title: expected string, got array",
    ]
    item = message("message_interactive_nfm_reply.json")
    item["interactive"]["nfm_reply"]["response_json"] = {"flow_token": "x"}
    assert schemas.errors("message", item) == [
        "$.interactive.nfm_reply.response_json: expected string, got object"]


def test_reaction_emoji_missing_or_empty_means_removal(schemas):
    item = message("message_reaction.json")
    item["reaction"]["emoji"] = ""
    assert schemas.errors("message", item) == []
    del item["reaction"]["emoji"]
    assert schemas.errors("message", item) == []
    item["reaction"]["emoji"] = 128077
    assert schemas.errors("message", item) == ["$.reaction.emoji: expected string, got integer"]
    del item["reaction"]["message_id"]
    assert "$.reaction.message_id: required key is missing" in schemas.errors("message", item)


def test_order_items_have_numeric_price_and_integer_quantity(schemas):
    item = message("message_order.json")
    item["order"]["product_items"][1]["item_price"] = "8.50"
    item["order"]["product_items"][0]["quantity"] = 1.5
    assert schemas.errors("message", item) == [
        "$.order.product_items[0].quantity: expected integer, got number",
        "$.order.product_items[1].item_price: expected number, got string",
    ]


def test_system_message_needs_its_type(schemas):
    item = message("message_system_user_changed_number.json")
    del item["system"]["type"]
    assert schemas.errors("message", item) == ["$.system.type: required key is missing"]


def test_message_needs_from_or_from_user_id(schemas):
    item = message()
    del item["from"]
    assert schemas.errors("message", item) == ["$: needs one of the keys: from, from_user_id"]
    item["from_user_id"] = "US.13491208655302741918"
    assert schemas.errors("message", item) == []


def test_every_problem_is_reported_sorted(schemas):
    item = {"type": "text", "timestamp": 1782900000, "text": {"body": None},
            "errors": [{"code": "131051"}]}
    problems = schemas.errors("message", item)
    assert problems == sorted(problems)
    assert problems == [
        "$.errors[0].code: expected integer, got string",
        "$.id: required key is missing",
        "$.text.body: expected string, got null",
        "$.timestamp: expected string, got integer",
        "$: needs one of the keys: from, from_user_id",
    ]


def test_status_timestamp_must_be_a_string(schemas):
    item = status("status_sent.json")
    item["timestamp"] = 1782900700
    assert schemas.errors("status", item) == ["$.timestamp: expected string, got integer"]


def test_status_pricing_and_errors_are_typed(schemas):
    item = status("status_failed.json")
    item["errors"][0]["code"] = "131049"
    item["pricing"] = {"billable": "true", "category": "marketing"}
    assert schemas.errors("status", item) == [
        "$.errors[0].code: expected integer, got string",
        "$.pricing.billable: expected boolean, got string",
    ]


def test_error_code_must_be_an_integer(schemas):
    error = first_value("message_errors_value_level.json")["errors"][0]
    error["code"] = "131000"
    assert schemas.errors("error", error) == ["$.code: expected integer, got string"]
    error["code"] = True
    assert schemas.errors("error", error) == ["$.code: expected integer, got boolean"]
    del error["code"]
    assert schemas.errors("error", error) == ["$.code: required key is missing"]


def test_contact_needs_a_wa_id_or_user_id(schemas):
    contact = first_value("message_bsuid_username_only.json")["contacts"][0]
    assert schemas.errors("contact", contact) == []
    contact["profile"]["username"] = 7
    del contact["user_id"]
    assert schemas.errors("contact", contact) == [
        "$.profile.username: expected string, got integer",
        "$: needs one of the keys: wa_id, user_id",
    ]


def test_metadata_needs_the_phone_number_id(schemas):
    metadata = {"display_phone_number": "15551234567"}
    assert schemas.errors("metadata", metadata) == ["$.phone_number_id: required key is missing"]


def test_template_status_update_needs_an_integer_template_id(schemas):
    value = first_value("field_message_template_status_update.json")
    value["message_template_id"] = "1689556908129832"
    assert schemas.errors("field", value, field="message_template_status_update") == [
        "$.message_template_id: expected integer, got string"]
    # The generic field schema accepts any object, so the field name matters.
    assert schemas.errors("field", value) == []


def test_documented_variants_of_field_values_pass(schemas):
    status_update = first_value("field_message_template_status_update.json")
    status_update["reason"] = None
    assert schemas.errors("field", status_update, field="message_template_status_update") == []
    capability = {"max_daily_conversations_per_business": 2000}
    assert schemas.errors("field", capability, field="business_capability_update") == []
    name_update = first_value("field_phone_number_name_update.json")
    name_update["rejection_reason"] = "NONE"
    assert schemas.errors("field", name_update, field="phone_number_name_update") == []


def test_field_values_check_the_keys_handlers_route_on(schemas):
    cases = {
        "account_update": ({"violation_info": {}}, "$.event: required key is missing"),
        "account_review_update": ({"decision": 1}, "$.decision: expected string, got integer"),
        "flows": ({"event": "ENDPOINT_ERROR_RATE", "error_rate": "14%"},
                  "$.error_rate: expected number, got string"),
        "user_preferences": ({"user_preferences": [{"category": "marketing_messages"}]},
                             "$.user_preferences[0].value: required key is missing"),
        "user_id_update": ({"user_id_update": [{"user_id": {"previous": "US.1"}}]},
                           "$.user_id_update[0].user_id.current: required key is missing"),
        "template_category_update": ({"message_template_id": 1, "new_category": None},
                                     "$.new_category: expected string, got null"),
        "history": ({"history": [{"threads": [{"id": "1", "messages": [{"type": "text"}]}]}]},
                    "$.history[0].threads[0].messages[0].id: required key is missing"),
    }
    for field, (value, problem) in cases.items():
        assert problem in schemas.errors("field", value, field=field), field


def test_body_problems_have_paths_from_the_root(schemas):
    body = load("messages_multiple_entries_and_changes.json")
    body["entry"][0]["changes"][1]["value"]["messages"][0]["timestamp"] = 1782900601
    del body["entry"][1]["changes"][0]["value"]["statuses"][0]["id"]
    body["entry"][1]["time"] = "1782900602"
    assert schemas.validate_body(body) == [
        "$.entry[0].changes[1].value.messages[0].timestamp: expected string, got integer",
        "$.entry[1].changes[0].value.statuses[0].id: required key is missing",
        "$.entry[1].time: expected integer, got string",
    ]


def test_body_checks_metadata_contacts_and_value_level_errors(schemas):
    body = load("message_text.json")
    value = body["entry"][0]["changes"][0]["value"]
    del value["metadata"]["phone_number_id"]
    value["contacts"][0]["profile"]["name"] = 5
    value["errors"] = [{"title": "Something went wrong"}]
    assert schemas.validate_body(body) == [
        "$.entry[0].changes[0].value.contacts[0].profile.name: expected string, got integer",
        "$.entry[0].changes[0].value.errors[0].code: required key is missing",
        "$.entry[0].changes[0].value.metadata.phone_number_id: required key is missing",
    ]


def test_body_checks_other_fields_by_their_schema(schemas):
    body = load("field_message_template_status_update.json")
    body["entry"][0]["changes"][0]["value"]["message_template_id"] = "1689556908129832"
    assert schemas.validate_body(body) == [
        "$.entry[0].changes[0].value.message_template_id: expected integer, got string"]


@pytest.mark.parametrize(("body", "problems"), [
    ([], ["$: expected object, got array"]),
    ({"object": "whatsapp_business_account"}, ["$.entry: required key is missing"]),
    ({"object": "whatsapp_business_account", "entry": {}}, ["$.entry: expected array, got object"]),
    ({"object": "whatsapp_business_account", "entry": [{"id": 104996122399160, "changes": []}]},
     ["$.entry[0].id: expected string, got integer"]),
    ({"object": "whatsapp_business_account",
      "entry": [{"id": "1", "changes": [{"field": "messages"}, "x"]}]},
     ["$.entry[0].changes[0].value: required key is missing",
      "$.entry[0].changes[1]: expected object, got string"]),
])
def test_broken_envelopes_are_reported(schemas, body, problems):
    assert schemas.validate_body(body) == problems


# --- what Meta adds later passes -------------------------------------------------------------


def test_unknown_message_type_gets_only_the_common_checks(schemas):
    item = message()
    del item["text"]
    item["type"] = "poll_vote"
    item["poll_vote"] = {"poll_id": "p1", "selected_options": [{"id": 2}]}
    assert schemas.errors("message", item) == []
    item["id"] = None
    assert schemas.errors("message", item) == ["$.id: expected string, got null"]


def test_unknown_interactive_subtype_passes(schemas):
    item = message("message_interactive_button_reply.json")
    item["interactive"] = {
        "type": "call_permission_reply",
        "call_permission_reply": {"response": "accept", "expiration_timestamp": 1783504800},
    }
    assert schemas.errors("message", item) == []


def test_messages_without_a_body_object_pass(schemas):
    for kind in ("request_welcome", "unsupported"):
        item = message()
        del item["text"]
        item["type"] = kind
        assert schemas.errors("message", item) == [], kind


def test_unknown_status_value_passes(schemas):
    item = status("status_read.json")
    item["status"] = "deleted"
    assert schemas.errors("status", item) == []


def test_unknown_field_passes_with_the_generic_schema(schemas):
    body = load("field_account_review_update.json")
    change = body["entry"][0]["changes"][0]
    change["field"] = "business_username_updates"
    change["value"] = {"username": "green.thumb", "status": "APPROVED", "nested": [{"a": 1}]}
    assert schemas.validate_body(body) == []
    assert schemas.errors("field", change["value"], field="business_username_updates") == []
    assert schemas.errors("field", ["not", "an", "object"], field="brand_new") == [
        "$: expected object, got array"]


# --- the schema files ------------------------------------------------------------------------


def test_the_schema_files_are_found():
    assert len(SCHEMA_FILES) >= 25


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: str(p.relative_to(SCHEMAS)))
def test_schema_file_is_a_valid_draft_2020_12_schema_with_id_and_title(path):
    schema = json.loads(path.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://botkit.dev/schemas/{path.relative_to(SCHEMAS).as_posix()}"
    assert isinstance(schema["title"], str) and schema["title"]
    assert isinstance(schema["description"], str) and schema["description"]


def keywords(schema: Any):
    """(keyword, value) of every key of every object in a schema, at any depth."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            yield key, value
            yield from keywords(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from keywords(value)


@pytest.mark.parametrize("path", [p for p in SCHEMA_FILES if p.name != "settings.schema.json"],
                         ids=lambda p: str(p.relative_to(SCHEMAS)))
def test_event_schemas_never_close_meta_objects(path):
    found = list(keywords(json.loads(path.read_text("utf-8"))))
    assert found
    assert not [key for key, value in found if key == "additionalProperties" and value is False]
    assert not {key for key, _ in found} & {"unevaluatedProperties", "propertyNames"}


def test_every_documented_field_has_a_schema(schemas):
    assert set(schemas.fields()) >= DOCUMENTED_FIELDS
    assert set(schemas.kinds()) == {"envelope", "metadata", "contact", "message", "status",
                                    "error", "field"}
    assert schemas.kinds()["message"] == "Inbound message"


def test_unknown_kind_is_refused(schemas):
    with pytest.raises(ValueError, match=r"unknown event kind 'reaction'.*message"):
        schemas.errors("reaction", {})
    with pytest.raises(ValueError, match="unknown event kind"):
        schemas.is_valid("fields", {})


def test_json_path_quotes_keys_that_are_not_plain_names():
    assert json_path([]) == "$"
    assert json_path(["errors", 0, "code"]) == "$.errors[0].code"
    assert json_path(["a b", "x.y", "_ok1"]) == '$["a b"]["x.y"]._ok1'


def test_problems_never_quote_the_offending_value(schemas):
    item = message()
    item["text"]["body"] = ["my card number is 4111 1111 1111 1111"]
    item["timestamp"] = "secret-ish 4111"
    problems = schemas.errors("message", item)
    assert len(problems) == 2
    assert not any("4111" in problem for problem in problems)


# --- loading schemas from a directory --------------------------------------------------------


def copy_schemas(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, target)
    return target


def test_a_schema_directory_can_add_a_field(tmp_path):
    folder = copy_schemas(tmp_path)
    (folder / "fields" / "loyalty.schema.json").write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://botkit.dev/schemas/fields/loyalty.schema.json",
        "title": "loyalty", "description": "test field",
        "type": "object", "required": ["points"],
        "properties": {"points": {"type": "integer"}, "error": {"$ref": "../error.schema.json"}},
    }))
    schemas = SchemaValidator(folder)
    assert "loyalty" in schemas.fields()
    assert schemas.errors("field", {"points": 3}, field="loyalty") == []
    assert schemas.errors("field", {"points": 3, "error": {}}, field="loyalty") == [
        "$.error.code: required key is missing"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: (d / "error.schema.json").write_text("{not json"),
     "cannot read schema error.schema.json"),
    (lambda d: (d / "fields" / "flows.schema.json").write_text('{"type": 12}'),
     "schema fields/flows.schema.json is not a valid Draft 2020-12 schema"),
    (lambda d: (d / "extra.schema.json").write_text('{"title": "no id"}'),
     "schema extra.schema.json has no \\$id"),
    (lambda d: (d / "copy.schema.json").write_text((d / "error.schema.json").read_text()),
     "repeats the \\$id https://botkit.dev/schemas/error.schema.json"),
    (lambda d: (d / "status.schema.json").unlink(), "lacks status.schema.json"),
    (lambda d: shutil.rmtree(d), "schema directory not found"),
])
def test_broken_schema_directories_are_reported_by_file(tmp_path, change, message):
    folder = copy_schemas(tmp_path)
    change(folder)
    with pytest.raises(SchemaLoadError, match=message):
        SchemaValidator(folder)


# --- robustness, equivalence, threads and speed ----------------------------------------------

KNOWN_KEYS = ["id", "type", "text", "body", "timestamp", "from", "from_user_id", "image",
              "mime_type", "interactive", "button_reply", "title", "errors", "code", "status",
              "location", "latitude", "order", "product_items", "quantity", "reaction", "emoji",
              "system", "contacts", "metadata", "entry", "changes", "field", "value"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=6), inner, max_size=6),
    max_leaves=25,
)
FIELD_NAMES = st.sampled_from(sorted(DOCUMENTED_FIELDS | {"messages", "not_a_field"})) | st.none()
KINDS = st.sampled_from(["envelope", "metadata", "contact", "message", "status", "error", "field"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=KINDS, item=JSON, field=FIELD_NAMES)
def test_any_json_value_gets_a_list_of_problems_never_an_exception(schemas, kind, item, field):
    problems = schemas.errors(kind, item, field=field)
    assert isinstance(problems, list) and problems == sorted(problems)
    assert all(isinstance(p, str) and p.startswith("$") and ": " in p for p in problems)
    assert schemas.is_valid(kind, item, field=field) == (problems == [])
    assert isinstance(schemas.validate_body(item), list)


@functools.cache
def plain_message_validator() -> Draft202012Validator:
    """The message schema applied by jsonschema alone, without the lookup by type."""
    resources = []
    for path in SCHEMA_FILES:
        schema = json.loads(path.read_text("utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)
    return Draft202012Validator(json.loads((SCHEMAS / "message.schema.json").read_text("utf-8")),
                                registry=registry)


MESSAGE_TYPES = ["text", "image", "audio", "video", "document", "sticker", "location", "contacts",
                 "interactive", "button", "reaction", "order", "system", "unsupported", "revoke",
                 "edit", "request_welcome", "poll_vote"]


@st.composite
def message_like(draw) -> dict[str, Any]:
    kind = draw(st.sampled_from(MESSAGE_TYPES) | JSON)
    item = draw(st.dictionaries(st.sampled_from(KNOWN_KEYS), JSON, max_size=4))
    item["type"] = kind
    if isinstance(kind, str) and draw(st.booleans()):
        item[kind] = draw(JSON)
    return item


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=message_like())
def test_lookup_by_type_reports_what_the_full_schema_reports(schemas, item):
    assert schemas.errors("message", item) == plain_errors(item)


def plain_errors(item: Any) -> list[str]:
    found = plain_message_validator().iter_errors(item)
    return sorted({line for error in found for line in describe(error)})


def test_lookup_by_type_agrees_with_the_full_schema_on_every_sample_message(schemas):
    checked = 0
    for path in PAYLOAD_FILES:
        for kind, item, _ in items_of(json.loads(path.read_bytes())):
            if kind != "message":
                continue
            emptied = {**item, item["type"]: {}}
            assert schemas.errors("message", item) == plain_errors(item) == []
            assert schemas.errors("message", emptied) == plain_errors(emptied)
            checked += 1
    assert checked >= 30


def statuses(count: int) -> list[dict[str, Any]]:
    batch = first_value("statuses_batch.json")["statuses"]
    return [copy.deepcopy(batch[i % len(batch)]) for i in range(count)]


def test_validation_is_thread_safe(schemas):
    items = [("status", item) for item in statuses(200)]
    items += [("message", message(p.name)) for p in PAYLOAD_FILES if p.name.startswith("message_")
              and "messages" in first_value(p.name)]
    broken = [(kind, {**item, "timestamp": 1}) for kind, item in items]
    work = items + broken
    expected = [schemas.errors(kind, item) for kind, item in work]
    assert any(expected) and not all(expected)
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(lambda w: schemas.errors(*w), work)) == expected


def test_a_thousand_statuses_validate_in_well_under_a_second(schemas):
    items = statuses(1000)
    started = time.perf_counter()
    assert not any(schemas.errors("status", item) for item in items)
    assert time.perf_counter() - started < 1.0
