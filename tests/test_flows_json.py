"""Local checks of Flow JSON documents: each mistake reported once, with its JSON path."""

from __future__ import annotations

import copy

import pytest

from botkit.flows import check_flow_json

GOOD = {
    "version": "7.1",
    "data_api_version": "3.0",
    "routing_model": {"WELCOME": ["DETAILS"], "DETAILS": ["DONE"], "DONE": []},
    "screens": [
        {"id": "WELCOME", "title": "Welcome", "data": {},
         "layout": {"type": "SingleColumnLayout", "children": [
             {"type": "Footer", "label": "Next", "on-click-action": {
                 "name": "navigate", "next": {"type": "screen", "name": "DETAILS"},
                 "payload": {}}}]}},
        {"id": "DETAILS", "title": "Details", "data": {},
         "layout": {"type": "SingleColumnLayout", "children": [
             {"type": "Form", "name": "form", "children": [
                 {"type": "TextInput", "name": "navigate", "label": "A field named navigate"},
                 {"type": "Footer", "label": "Send", "on-click-action": {
                     "name": "data_exchange", "payload": {"name": "${form.navigate}"}}}]}]}},
        {"id": "DONE", "title": "Done", "terminal": True, "success": True, "data": {},
         "layout": {"type": "SingleColumnLayout", "children": [
             {"type": "Footer", "label": "Close", "on-click-action": {
                 "name": "complete", "payload": {}}}]}},
    ],
}


def changed(change) -> dict:
    doc = copy.deepcopy(GOOD)
    change(doc)
    return doc


def test_a_correct_document_has_no_problems():
    assert check_flow_json(GOOD) == []
    static = changed(lambda d: (d.pop("data_api_version"), d.pop("routing_model")))
    assert check_flow_json(static) == []


@pytest.mark.parametrize("change, problem", [
    (lambda d: d.pop("version"), '$.version: required, a string such as "7.1"'),
    (lambda d: d.update(version=7), '$.version: required, a string such as "7.1"'),
    (lambda d: d.update(data_api_version="2.0"), "$.data_api_version: must be \"3.0\", not '2.0'"),
    (lambda d: (d.pop("routing_model"), d["screens"][2].update(id="DONE_1")),
     "$.screens[2].id: 'DONE_1' may only contain letters and underscores"),
    (lambda d: (d.pop("routing_model"), d["screens"][2].update(id="SUCCESS")),
     "$.screens[2].id: 'SUCCESS' is reserved by Meta"),
    (lambda d: d["screens"][1].pop("layout"), "$.screens[1].layout: required, an object"),
    (lambda d: d["screens"][2].pop("terminal"),
     '$.screens: no screen has "terminal": true, so the Flow cannot end'),
    (lambda d: d["routing_model"].update(GONE=[]),
     "$.routing_model['GONE']: 'GONE' is not a screen"),
    (lambda d: d["routing_model"]["WELCOME"].append("NOWHERE"),
     "$.routing_model['WELCOME'][1]: 'NOWHERE' is not a screen"),
    (lambda d: d["routing_model"].update(DONE="WELCOME"),
     "$.routing_model['DONE']: must be a list of screen ids"),
    (lambda d: d.update(routing_model=[]),
     "$.routing_model: must be an object of screen id -> list of screen ids"),
    (lambda d: d["screens"][0]["layout"]["children"][0]["on-click-action"]["next"].update(
        name="MISSING"),
     "$.screens[0].layout.children[0]['on-click-action'].next.name: 'MISSING' is not a screen"),
    (lambda d: d["screens"][0]["layout"]["children"][0]["on-click-action"].pop("next"),
     "$.screens[0].layout.children[0]['on-click-action'].next.name: a navigate action needs "
     "the next screen's name"),
])
def test_each_mistake_is_reported_with_its_path(change, problem):
    assert check_flow_json(changed(change)) == [problem]


def test_a_screen_without_id_is_missing_wherever_it_is_named():
    assert check_flow_json(changed(lambda d: d["screens"][0].pop("id"))) == [
        "$.screens[0].id: required, a non-empty string",
        "$.routing_model['WELCOME']: 'WELCOME' is not a screen"]


def test_duplicate_screen_ids():
    doc = changed(lambda d: d["screens"].append(copy.deepcopy(d["screens"][0])))
    assert check_flow_json(doc) == ["$.screens[3].id: 'WELCOME' is used by another screen"]


@pytest.mark.parametrize("doc, problems", [
    ([], ["$: a Flow JSON document must be an object"]),
    ({"version": "7.1"}, ["$.screens: required, a non-empty list of screens"]),
    ({"version": "7.1", "screens": []}, ["$.screens: required, a non-empty list of screens"]),
    ({"version": "7.1", "screens": ["x"]},
     ["$.screens[0]: a screen must be an object",
      '$.screens: no screen has "terminal": true, so the Flow cannot end']),
])
def test_documents_without_screens(doc, problems):
    assert check_flow_json(doc) == problems


def test_all_problems_are_reported_together():
    def break_everything(d):
        d["version"] = ""
        d["screens"][0]["id"] = "bad id"
        d["routing_model"]["X"] = ["Y"]
    problems = check_flow_json(changed(break_everything))
    assert problems == [
        '$.version: required, a string such as "7.1"',
        "$.screens[0].id: 'bad id' may only contain letters and underscores",
        "$.routing_model['WELCOME']: 'WELCOME' is not a screen",
        "$.routing_model['X']: 'X' is not a screen",
        "$.routing_model['X'][0]: 'Y' is not a screen",
    ]
