"""Settings: the shipped schema, start-up checks that refuse bad rules, business hours."""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from botkit_auto_reply import load_settings
from botkit_auto_reply.hours import parse_hours
from jsonschema import Draft202012Validator

from botkit import PluginConfig, SettingsError
from botkit.testing import BotRunner, make_settings

BROKEN = {
    "default_reply": "Hello {customer}",
    "rules": [
        {"keywords": ["hi"], "reply": "ok"},
        {"regex": ["order (\\d+"], "reply": "Order {text:>10}"},
        {"types": ["image"], "reply": {"type": "interactive"}},
        {"exact": ["   "], "reply": "Price list } here"},
    ],
    "business_hours": {"timezone": "Mars/Olympus_Mons", "open": "09:00", "close": "09:00",
                       "away_reply": "closed"},
}


def test_every_problem_is_reported_with_its_path(prepared):
    config = prepared(BROKEN)  # the schema accepts it: these are problems only code can see
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    problems = "\n".join(caught.value.problems)
    for expected in [
        "plugins.auto-reply.default_reply: unknown placeholder {customer}",
        "plugins.auto-reply.rules[1].regex[0]: invalid regular expression 'order (\\\\d+'",
        "plugins.auto-reply.rules[1].reply: placeholder {text} in 'Order {text:>10}' takes no",
        "plugins.auto-reply.rules[2].reply: a reply of type 'interactive' needs a table",
        "plugins.auto-reply.rules[3].exact[0]: '   ' is blank",
        "plugins.auto-reply.rules[3].reply: Single '}' encountered",
        "plugins.auto-reply.business_hours.timezone: unknown time zone 'Mars/Olympus_Mons'",
        "plugins.auto-reply.business_hours: open and close are both 09:00",
    ]:
        assert expected in problems
    assert len(caught.value.problems) == 8


def test_schema_problems_are_reported_by_botkit(prepared):
    with pytest.raises(SettingsError) as caught:
        prepared({"rules": [{"reply": "no trigger"}], "default_reply": "", "extra": True})
    problems = caught.value.problems
    assert any(p.startswith("plugins.auto-reply.rules[0]:") for p in problems)
    assert any(p.startswith("plugins.auto-reply.default_reply:") for p in problems)
    assert any("'extra' was unexpected" in p for p in problems)


async def test_the_server_refuses_to_start_with_a_bad_regex(tmp_path, caplog):
    settings = make_settings(tmp_path, enabled_plugins=["auto-reply"], plugins={
        "auto-reply": {"rules": [{"regex": ["(unclosed"], "reply": "x"}]}})
    runner = BotRunner(settings)
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError):
        await runner.__aenter__()
    assert "plugins.auto-reply.rules[0].regex[0]: invalid regular expression" in caplog.text


def test_the_core_rejects_settings_the_schema_rejects(tmp_path):
    with pytest.raises(SettingsError) as caught:
        BotRunner(make_settings(tmp_path, enabled_plugins=["auto-reply"], plugins={
            "auto-reply": {"rules": [{"keywords": ["hi"]}]}}))
    assert any(p.startswith("plugins.auto-reply.rules[0]") and "reply" in p
               for p in caught.value.problems)


def test_schema_is_strict_and_documented():
    text = resources.files("botkit_auto_reply").joinpath("config.schema.json").read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith("auto-reply.schema.json") and schema["title"]
    props = schema["properties"]
    for table in [schema, props["rules"]["items"], props["business_hours"]]:
        assert table["additionalProperties"] is False
        for name, prop in table["properties"].items():
            assert prop.get("description") or "$ref" in prop, name


def test_defaults_come_from_the_schema(prepared):
    config = prepared({"rules": [{"keywords": ["hi"], "reply": "hello"}],
                       "business_hours": {"timezone": "UTC", "open": "09:00", "close": "17:00",
                                          "away_reply": "closed"}})
    assert isinstance(config, PluginConfig)
    assert (config["mark_read"], config["typing_indicator"]) == (True, False)
    assert config["rules"][0]["case_sensitive"] is False
    assert config["business_hours"]["days"] == ("mon", "tue", "wed", "thu", "fri")
    loaded = load_settings(prepared({}))
    assert (loaded.mark_read, loaded.typing_indicator, loaded.rules) == (True, False, ())
    assert loaded.default_reply is None and loaded.business_hours is None


def at(zone: str, *args: int) -> float:
    return datetime(*args, tzinfo=ZoneInfo(zone)).timestamp()


def test_business_hours_across_midnight_weekends_and_daylight_saving(prepared):
    night = parse_hours({"timezone": "America/New_York", "days": ["fri"], "open": "22:00",
                         "close": "06:00", "away_reply": "x"}, "hours")
    assert night.is_open(at("America/New_York", 2026, 7, 3, 23, 0))      # Friday night
    assert night.is_open(at("America/New_York", 2026, 7, 4, 5, 59))      # Saturday early
    assert not night.is_open(at("America/New_York", 2026, 7, 4, 6, 0))
    assert not night.is_open(at("America/New_York", 2026, 7, 2, 23, 0))  # Thursday night
    day = load_settings(prepared({"business_hours": {
        "timezone": "Europe/Berlin", "open": "09:00", "close": "17:00", "away_reply": "x"}})
    ).business_hours
    assert day is not None
    assert day.is_open(at("Europe/Berlin", 2026, 1, 14, 9, 0))   # winter (CET)
    assert day.is_open(at("Europe/Berlin", 2026, 7, 15, 16, 59))  # summer (CEST)
    assert not day.is_open(at("Europe/Berlin", 2026, 7, 15, 17, 0))
    assert not day.is_open(at("Europe/Berlin", 2026, 7, 18, 12, 0))  # Saturday: default days
    all_day = parse_hours({"timezone": "UTC", "days": ["sun"], "open": "00:00",
                           "close": "24:00", "away_reply": "x"}, "hours")
    assert all_day.is_open(at("UTC", 2026, 7, 5, 23, 59))
    assert not all_day.is_open(at("UTC", 2026, 7, 6, 0, 0))


def test_the_readme_example_is_valid(prepared):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    [example] = [block for block in readme.split("```toml\n")[1:]
                 if "[plugins.auto-reply]" in block]
    table = tomllib.loads(example.split("```")[0])["plugins"]["auto-reply"]
    settings = load_settings(prepared(table))
    assert len(settings.rules) == 6 and settings.business_hours is not None
