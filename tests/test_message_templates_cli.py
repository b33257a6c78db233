"""``botkit templates`` and the management calls, over real HTTP against the fake Graph API's
template routes, with the cache on SQLite and on Redis."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from message_templates_kit import (
    DEFINITIONS,
    INVOICE_READY,
    ORDER_CONFIRMATION,
    ORDER_FOLLOWUP,
    WABA,
)
from samples import REDIS_URL

from botkit import GraphError
from botkit.cli.templates import templates
from botkit.message_templates import open_template_cache_admin
from botkit.message_templates.graph import fetch_templates
from botkit.settings import Settings
from botkit.testing.fake_graph import FakeGraphAPI
from botkit.testing.fake_graph.templates import fake_templates
from botkit.whatsapp.client import WhatsAppClient

TOKEN = "template-management-token"
CLEAN_ENV = {"WHATSAPP_ACCESS_TOKEN": None, "WHATSAPP_WABA_ID": None, "BOTKIT_CONFIG": None}


@pytest.fixture
def fake():
    with FakeGraphAPI(access_token=TOKEN) as server:
        yield server


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request, tmp_path, redis_prefix) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'botkit.db'}"
    return f"{REDIS_URL}?prefix={redis_prefix}&partitions=2"


def write_settings(tmp_path: Path, fake: FakeGraphAPI, store_url: str, *,
                   waba: str | None = WABA, token: str | None = TOKEN) -> str:
    lines = ["[whatsapp]", 'verify_token = "verify"', 'app_secret = "secret"',
             f'graph_url = "{fake.url}"']
    if token:
        lines.append(f'access_token = "{token}"')
    if waba:
        lines.append(f'waba_id = "{waba}"')
    lines += ["[store]", f'url = "{store_url}"']
    path = tmp_path / "botkit.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run(config: str, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(templates, [args[0], "--config", config, *args[1:]],
                              env={**CLEAN_ENV, **(env or {})})


def declare(fake: FakeGraphAPI) -> None:
    library = fake_templates(fake)
    for definition in DEFINITIONS:
        library.add(WABA, definition)
    library.add(WABA, {**ORDER_CONFIRMATION, "language": "pt_BR"}, status="PAUSED",
                quality="RED")


def cache_rows(config: str) -> list:
    async def read() -> list:
        cache, close = await open_template_cache_admin(Settings.load(config, env={}).store)
        try:
            return await cache.all()
        finally:
            await close()
    return asyncio.run(read())


# -- reading every page -------------------------------------------------------------------------


async def test_every_page_is_read_following_the_after_cursor(fake):
    declare(fake)
    async with WhatsAppClient(access_token=TOKEN, graph_url=fake.url) as client:
        found = await fetch_templates(client, WABA, page_size=3)
    assert [(t["name"], t["language"]) for t in found] == [
        (d["name"], d["language"]) for d in DEFINITIONS] + [("order_confirmation", "pt_BR")]
    pages = [r for r in fake.requests if r.path.endswith("/message_templates")]
    assert len(pages) == 3
    assert "after" not in pages[0].query and pages[1].query["after"] != pages[2].query["after"]
    assert {r.query["limit"] for r in pages} == {"3"}
    assert set(found[0]) == {"id", "name", "language", "status", "category", "parameter_format",
                             "components", "quality_score"}


async def test_a_graph_refusal_comes_through_typed(fake):
    async with WhatsAppClient(access_token="wrong", graph_url=fake.url,
                              max_attempts=1) as client:
        with pytest.raises(GraphError) as caught:
            await fetch_templates(client, WABA)
    assert caught.value.code == 190
    with pytest.raises(ValueError, match="is digits"):
        async with WhatsAppClient(access_token=TOKEN, graph_url=fake.url) as client:
            await fetch_templates(client, "../me")


async def test_an_account_the_fake_does_not_know_is_missing_like_on_meta(fake):
    async with WhatsAppClient(access_token=TOKEN, graph_url=fake.url, max_attempts=1) as client:
        with pytest.raises(GraphError) as caught:
            await fetch_templates(client, "999")
    assert (caught.value.code, caught.value.subcode) == (100, 33)
    fake.add_waba("999")
    async with WhatsAppClient(access_token=TOKEN, graph_url=fake.url) as client:
        assert await fetch_templates(client, "999") == []


# -- the commands -------------------------------------------------------------------------------


def test_sync_list_and_show(tmp_path, fake, store_url):
    declare(fake)
    config = write_settings(tmp_path, fake, store_url)
    synced = run(config, "sync", "--page-size", "3")
    assert synced.exit_code == 0, synced.output
    assert synced.output == f"synced 8 template(s) of WhatsApp Business Account {WABA}\n"
    assert len([r for r in fake.requests if r.method == "GET"]) == 3

    listed = run(config, "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 8
    assert lines[2].split() == ["order_confirmation", "pt_BR", "PAUSED", "UTILITY", "RED"]
    rows = json.loads(run(config, "list", "--json").output)
    assert {(r["name"], r["language"], r["status"]) for r in rows} >= {
        ("verify_code", "en_US", "APPROVED"), ("order_confirmation", "pt_BR", "PAUSED")}

    shown = run(config, "show", "order_followup")
    assert shown.exit_code == 0, shown.output
    assert "status:    APPROVED" in shown.output and "parameters: named" in shown.output
    assert "header:    IMAGE -> header=Image(link=... or id=...)" in shown.output
    assert ("-> body={'first_name': ..., 'order_id': ..., 'total': ..., 'shipped': ...}"
            in shown.output)
    assert "button 2:  COPY_CODE -> CopyCode(2, code)" in shown.output
    assert "button 1:  URL Help (https://shop.example.com/help)\n" in shown.output
    both = run(config, "show", "order_confirmation")
    assert both.output.count("order_confirmation (") == 2
    assert "header:    'Order {{1}}' -> header='...'" in both.output
    one = json.loads(run(config, "show", "order_confirmation", "--language", "pt_BR",
                         "--json").output)
    assert [(r["language"], r["quality"]) for r in one] == [("pt_BR", "RED")]
    carousel = run(config, "show", "summer_carousel")
    assert "not covered by typed sending: a CAROUSEL component" in carousel.output

    missing = run(config, "show", "order_confirmation", "--language", "fr")
    assert missing.exit_code == 1
    assert missing.stderr == ("error: template 'order_confirmation' has no 'fr' version; it "
                              "has en_US, pt_BR\n")
    unknown = run(config, "show", "no_such_template")
    assert unknown.exit_code == 1 and "run `botkit templates sync`" in unknown.stderr


def test_a_new_sync_drops_templates_deleted_elsewhere(tmp_path, fake, store_url):
    declare(fake)
    config = write_settings(tmp_path, fake, store_url)
    assert run(config, "sync").exit_code == 0
    library = fake_templates(fake)
    with library.lock:
        library.accounts[WABA] = [t for t in library.accounts[WABA]
                                  if t["name"] != "order_confirmation"]
    again = run(config, "sync")
    assert again.output == (f"synced 6 template(s) of WhatsApp Business Account {WABA}, "
                            "2 no longer there removed\n")
    assert "order_confirmation" not in {row.name for row in cache_rows(config)}


def test_create_checks_locally_then_creates_and_caches(tmp_path, fake, store_url):
    fake.add_waba(WABA)
    config = write_settings(tmp_path, fake, store_url)
    good = tmp_path / "followup.json"
    good.write_text(json.dumps(ORDER_FOLLOWUP))
    created = run(config, "create", str(good))
    assert created.exit_code == 0, created.output
    assert created.output.startswith("created template order_followup (en_US): id ")
    assert created.output.endswith(", status PENDING, category MARKETING\n")
    [row] = cache_rows(config)
    assert (row.name, row.status, row.complete) == ("order_followup", "PENDING", True)
    assert row.parsed().body.keys == ("first_name", "order_id", "total", "shipped")
    [stored] = fake_templates(fake).templates(WABA)
    assert stored["components"] == ORDER_FOLLOWUP["components"]

    again = run(config, "create", str(good))
    assert again.exit_code == 1
    assert "Content in this language already exists for order_followup" in again.stderr

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**INVOICE_READY, "name": "Invoice Ready", "category": "BILLS"}))
    posts = len([r for r in fake.requests if r.method == "POST"])
    refused = run(config, "create", str(bad))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "error: the template definition has 2 problem(s); nothing was sent:",
        "  $.name: lowercase letters, digits and '_' (at most 512), got 'Invoice Ready'",
        "  $.category: one of AUTHENTICATION, MARKETING, UTILITY, got 'BILLS'"]
    assert len([r for r in fake.requests if r.method == "POST"]) == posts
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    unreadable = run(config, "create", str(broken))
    assert unreadable.exit_code == 1 and "not valid JSON" in unreadable.stderr


def test_delete_every_language_or_one(tmp_path, fake, store_url):
    declare(fake)
    config = write_settings(tmp_path, fake, store_url)
    assert run(config, "sync").exit_code == 0
    brazil_id = next(row.id for row in cache_rows(config)
                     if (row.name, row.language) == ("order_confirmation", "pt_BR"))
    one = run(config, "delete", "order_confirmation", "--language", "pt_BR")
    assert one.exit_code == 0, one.output
    assert one.output == "deleted template order_confirmation (pt_BR)\n"
    request = fake.requests[-1]
    assert request.method == "DELETE" and request.query["name"] == "order_confirmation"
    assert request.query["hsm_id"] == brazil_id
    assert [(row.name, row.language) for row in cache_rows(config)
            if row.name == "order_confirmation"] == [("order_confirmation", "en_US")]
    remaining = [(t["name"], t["language"]) for t in fake_templates(fake).templates(WABA)]
    assert ("order_confirmation", "pt_BR") not in remaining
    assert ("order_confirmation", "en_US") in remaining
    every = run(config, "delete", "verify_code")
    assert every.exit_code == 0
    assert every.output == "deleted template verify_code (every language)\n"
    assert "verify_code" not in {row.name for row in cache_rows(config)}
    gone = run(config, "delete", "verify_code")
    assert gone.exit_code == 1 and "'verify_code' was not found" in gone.stderr
    uncached = run(config, "delete", "never_seen", "--language", "en_US")
    assert uncached.exit_code == 1
    assert "is not cached with its id; run `botkit templates sync` first" in uncached.stderr


def test_settings_and_access_problems_are_one_line_each(tmp_path, fake, store_url):
    declare(fake)
    no_waba = write_settings(tmp_path, fake, store_url, waba=None)
    result = run(no_waba, "sync")
    assert result.exit_code == 2 and "give --waba-id" in result.output
    assert run(no_waba, "sync", "--waba-id", WABA).exit_code == 0
    no_token = write_settings(tmp_path, fake, store_url, token=None)
    result = run(no_token, "sync")
    assert result.exit_code == 2
    assert result.stderr == ("error: no access token: set [whatsapp] access_token or give "
                             "--access-token\n")
    wrong = run(no_token, "sync", env={"WHATSAPP_ACCESS_TOKEN": "not-the-token"})
    assert wrong.exit_code == 1
    assert wrong.stderr.startswith("error: Graph API error 190")
    assert "not-the-token" not in wrong.output and len(wrong.stderr.splitlines()) == 1


def test_an_unreachable_store_is_a_settings_problem(tmp_path, fake):
    config = write_settings(tmp_path, fake, "redis://127.0.0.1:1/0?prefix=nowhere")
    result = run(config, "list")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: could not connect to redis://127.0.0.1:1/0")
    empty = write_settings(tmp_path, fake, f"sqlite:///{tmp_path / 'never' / 'botkit.db'}")
    result = run(empty, "list")
    assert result.exit_code == 2 and "no store at" in result.stderr
