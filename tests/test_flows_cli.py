"""``botkit flows``: keygen on the real filesystem, and every management command against the
fake Graph API's Flows routes over real HTTP."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization

from botkit.cli.flows import flows
from botkit.flows import load_private_key
from botkit.testing import LiveServer
from botkit.testing.fake_graph_flows import FakeFlows
from botkit.testing.fake_graph_flows_app import FlowsGraphApp

TOKEN = "flows-management-token"
WABA = "104996122399160"
PASSPHRASE = "a long enough passphrase"
CLEAN_ENV = {"WHATSAPP_ACCESS_TOKEN": None, "WHATSAPP_WABA_ID": None, "BOTKIT_CONFIG": None}
SCREEN = {"id": "WHEN", "terminal": True,
          "layout": {"type": "SingleColumnLayout", "children": []}}
VALID = {"version": "7.1", "screens": [SCREEN]}


def run(*args: str, input: str | None = None, env: dict[str, str | None] | None = None
        ) -> Result:
    return CliRunner().invoke(flows, list(args), input=input, env={**CLEAN_ENV, **(env or {})})


# -- keygen -----------------------------------------------------------------------------------


def test_keygen_writes_an_encrypted_key_readable_only_by_its_owner(tmp_path):
    target = tmp_path / "flows-private.pem"
    result = run("keygen", str(target), "--passphrase-env", "FLOWS_PASS",
                 env={"FLOWS_PASS": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    key = load_private_key(target.read_bytes(), PASSPHRASE)
    assert b"ENCRYPTED PRIVATE KEY" in target.read_bytes()
    printed = serialization.load_pem_public_key(result.stdout.encode())
    assert printed.public_numbers() == key.public_key().public_numbers()
    assert result.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert PASSPHRASE not in result.output and "PRIVATE KEY" not in result.output
    assert 'private_key = { file = "' in result.stderr and "FLOWS_PASS" in result.stderr


def test_keygen_never_overwrites_a_key(tmp_path):
    target = tmp_path / "flows-private.pem"
    target.write_text("the key in use")
    target.chmod(0o600)
    result = run("keygen", str(target), "--passphrase-env", "FLOWS_PASS",
                 env={"FLOWS_PASS": PASSPHRASE})
    assert result.exit_code == 1
    assert "exists; botkit never overwrites a key file" in result.stderr
    assert target.read_text() == "the key in use"


def test_keygen_asks_for_the_passphrase_twice_and_writes_the_public_key_too(tmp_path):
    target, public = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    result = run("keygen", str(target), "--public-key-file", str(public),
                 input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    key = load_private_key(target.read_bytes(), PASSPHRASE)
    assert serialization.load_pem_public_key(public.read_bytes()).public_numbers() == \
        key.public_key().public_numbers()
    assert public.read_text() == result.stdout


@pytest.mark.parametrize(("env", "says"), [
    ({}, "environment variable FLOWS_PASS is not set or empty"),
    ({"FLOWS_PASS": "short"}, "at least 8 characters"),
])
def test_keygen_refuses_a_missing_or_short_passphrase(tmp_path, env, says):
    target = tmp_path / "key.pem"
    result = run("keygen", str(target), "--passphrase-env", "FLOWS_PASS", env=env)
    assert result.exit_code == 2 and says in result.output
    assert not target.exists()


# -- management -------------------------------------------------------------------------------


class Graph:
    """The Flows routes served on a loopback port, and a settings file pointing at them."""

    def __init__(self, folder: Path) -> None:
        self.state = FakeFlows()
        self.state.add_waba(WABA)
        self.app = FlowsGraphApp(self.state, access_token=TOKEN)
        self.folder = folder
        self.config = ""

    def write_settings(self, url: str, **whatsapp: str) -> str:
        table = {"verify_token": "v", "app_secret": "s", "access_token": TOKEN,
                 "graph_url": url, "waba_id": WABA, **whatsapp}
        lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in table.items())
        path = self.folder / "botkit.toml"
        path.write_text(f"[whatsapp]\n{lines}")
        return str(path)

    async def run(self, *args: str, **options: Any) -> Result:
        """A command in a worker thread, so this loop keeps serving the fake."""
        return await asyncio.to_thread(run, args[0], "--config", self.config, *args[1:],
                                       **options)

    def flow_json(self, doc: Any, name: str = "flow.json") -> str:
        path = self.folder / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2))
        return str(path)


@pytest.fixture
async def graph(tmp_path):
    fake = Graph(tmp_path)
    async with LiveServer(fake.app) as server:
        fake.config = fake.write_settings(server.url)
        yield fake


async def test_list_and_show(graph):
    empty = await graph.run("list")
    assert (empty.exit_code, empty.stdout) == (0, f"no Flows in WhatsApp Business Account "
                                                  f"{WABA}\n")
    flow = graph.state.add_flow(WABA, "table booking", ["APPOINTMENT_BOOKING"],
                                flow_json=json.dumps({**VALID, "version": "2.1"}))
    listed = await graph.run("list")
    assert listed.exit_code == 0
    assert listed.stdout == (f"{flow.id:<18} DRAFT       table booking  [APPOINTMENT_BOOKING]"
                             f"  (1 validation error(s))\n")
    as_json = json.loads((await graph.run("list", "--json")).stdout)
    assert [(f["id"], f["status"], f["categories"]) for f in as_json] == [
        (flow.id, "DRAFT", ["APPOINTMENT_BOOKING"])]
    shown = await graph.run("show", flow.id)
    assert shown.exit_code == 0
    assert f"id:               {flow.id}\n" in shown.stdout
    assert "json version:     2.1\n" in shown.stdout
    assert "validation:       1 error(s)\n" in shown.stdout
    assert "line 2, column 1: INVALID_PROPERTY_VALUE: Flow JSON version 2.1 is not supported." in \
        shown.stdout
    assert json.loads((await graph.run("show", flow.id, "--json")).stdout)["name"] == \
        "table booking"


async def test_create_with_flow_json_then_publish_then_deprecate(graph):
    created = await graph.run("create", "table booking", "--category", "APPOINTMENT_BOOKING",
                              "--category", "OTHER", "--json", graph.flow_json(VALID),
                              "--endpoint-uri", "https://bot.example.com/flows")
    assert created.exit_code == 0, created.output
    [flow] = graph.state.flows.values()
    assert created.stdout == (f"created Flow {flow.id} (table booking)\n"
                              f"Flow {flow.id}: Flow JSON accepted, no validation errors\n")
    assert (flow.categories, flow.endpoint_uri) == (["APPOINTMENT_BOOKING", "OTHER"],
                                                    "https://bot.example.com/flows")
    assert json.loads(flow.flow_json) == VALID and flow.status == "DRAFT"
    published = await graph.run("publish", flow.id)
    assert (published.exit_code, published.stdout) == (0, f"published Flow {flow.id}\n")
    assert flow.status == "PUBLISHED"
    again = await graph.run("publish", flow.id)
    assert again.exit_code == 1
    assert "Graph API error 139002: Publishing Flow in invalid state" in again.stderr
    frozen = await graph.run("update-json", flow.id, graph.flow_json(VALID))
    assert frozen.exit_code == 1 and "Graph API error 139001" in frozen.stderr
    deprecated = await graph.run("deprecate", flow.id)
    assert (deprecated.exit_code, flow.status) == (0, "DEPRECATED")
    twice = await graph.run("deprecate", flow.id)
    assert twice.exit_code == 1 and "Flow is already deprecated" in twice.stderr


async def test_update_json_uploads_and_reports_metas_validation_errors(graph):
    flow = graph.state.add_flow(WABA, "survey")
    good = await graph.run("update-json", flow.id, graph.flow_json(VALID))
    assert (good.exit_code, good.stdout) == (
        0, f"Flow {flow.id}: Flow JSON accepted, no validation errors\n")
    assert [(flow_id, json.loads(body)) for flow_id, body in graph.state.uploads] == [
        (flow.id, VALID)]
    unsupported = await graph.run("update-json", flow.id,
                                  graph.flow_json({**VALID, "version": "2.1"}))
    assert unsupported.exit_code == 1
    assert "Meta found 1 problem(s) in the Flow JSON" in unsupported.stderr
    assert "line 2, column 1: INVALID_PROPERTY_VALUE: Flow JSON version 2.1 is not supported." in \
        unsupported.stderr
    refused = await graph.run("publish", flow.id)
    assert refused.exit_code == 1 and "Publishing Flow with validation errors" in refused.stderr


BROKEN = {"version": "7.1", "routing_model": {"WHEN": ["NOWHERE"]},
          "screens": [{"id": "when-1", "layout": {}}, {"id": "WHEN"}]}
BROKEN_PROBLEMS = [
    "$.screens[0].id: 'when-1' may only contain letters and underscores",
    "$.screens[1].layout: required, an object",
    "$.screens: no screen has \"terminal\": true, so the Flow cannot end",
    "$.routing_model['WHEN'][0]: 'NOWHERE' is not a screen",
]


async def test_broken_flow_json_is_refused_before_any_upload(graph):
    flow = graph.state.add_flow(WABA, "survey")
    before = len(graph.app.requests)
    updated = await graph.run("update-json", flow.id, graph.flow_json(BROKEN))
    created = await graph.run("create", "broken", "--category", "SURVEY", "--json",
                              graph.flow_json(BROKEN, "broken.json"))
    not_json = await graph.run("update-json", flow.id, graph.flow_json("{\"version\": ", "x.json"))
    for result in (updated, created):
        assert result.exit_code == 1
        assert f"the Flow JSON has {len(BROKEN_PROBLEMS)} problem(s); nothing was uploaded" in \
            result.stderr
        assert [line.strip() for line in result.stderr.splitlines()[1:]] == BROKEN_PROBLEMS
    assert not_json.exit_code == 1
    assert "$: not valid JSON: Expecting value at line 1, column 13" in not_json.stderr
    assert graph.app.requests[before:] == [] and graph.state.uploads == []
    assert [f.name for f in graph.state.flows.values()] == ["survey"]


async def test_metrics(graph):
    flow = graph.state.add_flow(WABA, "survey", flow_json=json.dumps(VALID), status="PUBLISHED")
    graph.state.set_metric(flow.id, "ENDPOINT_REQUEST_COUNT", [
        {"timestamp": f"2026-07-0{day}T07:00:00+0000", "data": [{"key": "value", "value": n}]}
        for day, n in ((1, 315), (2, 402), (3, 120))])
    shown = await graph.run("metrics", flow.id, "--since", "2026-07-02", "--until", "2026-07-03")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == (f"ENDPOINT_REQUEST_COUNT per day of Flow {flow.id}:\n"
                            f"  2026-07-02T07:00:00+0000  value=402\n"
                            f"  2026-07-03T07:00:00+0000  value=120\n")
    as_json = json.loads((await graph.run("metrics", flow.id, "--json")).stdout)
    assert as_json["granularity"] == "DAY" and len(as_json["data_points"]) == 3
    too_little = await graph.run("metrics", flow.id, "--metric", "ENDPOINT_AVAILABILITY")
    assert too_little.exit_code == 1 and "Not enough data" in too_little.stderr
    bad_day = await graph.run("metrics", flow.id, "--since", "July 1st")
    assert bad_day.exit_code == 2 and "expected a date as YYYY-MM-DD" in bad_day.output


async def test_what_is_missing_or_wrong_is_said_and_the_token_never_shown(graph):
    wrong = await graph.run("list", "--access-token", "not-the-token")
    assert wrong.exit_code == 1
    assert "Graph API error 190: Invalid OAuth access token" in wrong.stderr
    assert "not-the-token" not in wrong.output and TOKEN not in wrong.output
    graph.config = graph.write_settings("http://127.0.0.1:9")  # nothing listens there
    unreachable = await graph.run("list")
    assert unreachable.exit_code == 1 and "the Graph API cannot be reached" in unreachable.stderr
    no_waba = (graph.folder / "botkit.toml")
    no_waba.write_text('[whatsapp]\nverify_token = "v"\napp_secret = "s"\n')
    missing = await graph.run("list")
    assert missing.exit_code == 2 and "give --waba-id" in missing.output
    no_token = await graph.run("list", "--waba-id", WABA)
    assert no_token.exit_code == 2 and "no access token" in no_token.stderr
    not_an_id = await graph.run("publish", "../me", "--access-token", TOKEN)
    assert not_an_id.exit_code == 2 and "the Flow id must be a Graph id" in not_an_id.stderr
