"""``botkit contacts``: the contact book as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json

import click
import pytest
from botkit_crm_sync import ContactBook, register_commands
from botkit_crm_sync.sightings import Sighting
from click.testing import CliRunner

NOW = 1782903600


@pytest.fixture
def settings_file(tmp_path):
    book = ContactBook(tmp_path / "data" / "contacts.db")
    book.open(NOW)
    book.record(Sighting("m1", "15557654321", None, at=1782900000, name="Priya Raman",
                         message_type="text", message_text="Hi!\nDo you have\tplanters?"), NOW)
    book.record(Sighting("m2", "15557654321", None, at=1782900100,
                         message_type="image", message_text=None), NOW)
    book.record(Sighting("m3", None, "US.1349", at=1782900200, name="Sam",
                         username="sam.plants", message_type="text", message_text="hey"), NOW)
    book.record(Sighting("p1", "233555012345", None, at=1782901000, opted_out=True), NOW)
    book.close()
    path = tmp_path / "botkit.toml"
    path.write_text(
        'enabled_plugins = ["crm-sync"]\n'
        '[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
        f'[plugins.crm-sync]\npath = "{(tmp_path / "data" / "contacts.db").as_posix()}"\n')
    return path


@click.group()
def cli() -> None:
    """The command line crm-sync adds its commands to (``botkit`` itself in real use)."""


register_commands(cli)


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["contacts", *args], env=env, catch_exceptions=False)


def test_table_lists_the_most_recently_seen_first(settings_file):
    result = run("--config", str(settings_file))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["CUSTOMER", "WA_ID", "NAME", "MESSAGES", "LAST", "SEEN", "(UTC)",
                                "OPTED", "OUT", "LAST", "MESSAGE"]
    assert [line.split()[0] for line in lines[1:]] == ["233555012345", "US.1349",
                                                       "15557654321"]
    assert "2026-07-01 10:01" in lines[3] and "Priya Raman" in lines[3]
    assert lines[1].split()[-2:] == ["yes", "-"]


def test_json_and_csv_hold_every_field(settings_file):
    data = json.loads(run("--config", str(settings_file), "--json").output)
    priya = next(r for r in data if r["customer_id"] == "15557654321")
    assert priya["message_count"] == 2 and priya["last_message_type"] == "image"
    assert priya["first_seen"] == 1782900000 and priya["previous_wa_ids"] == []
    rows = list(csv.DictReader(io.StringIO(run("--config", str(settings_file), "--csv").output)))
    assert [r["customer_id"] for r in rows] == ["233555012345", "US.1349", "15557654321"]
    assert rows[1]["username"] == "sam.plants" and rows[0]["opted_out"] == "True"


def test_output_to_a_file_and_the_config_from_the_environment(settings_file, tmp_path):
    target = tmp_path / "contacts.csv"
    result = run("--csv", "--output", str(target), env={"BOTKIT_CONFIG": str(settings_file)})
    assert result.exit_code == 0
    assert "3 contact(s) written" in result.output
    assert target.read_text().startswith("customer_id,wa_id,user_id,name")


def test_clear_errors(tmp_path, settings_file):
    assert run("--config", str(settings_file), "--json", "--csv").exit_code == 2
    missing = tmp_path / "other.toml"
    missing.write_text(settings_file.read_text().replace("contacts.db", "absent.db"))
    result = run("--config", str(missing))
    assert result.exit_code == 1 and "no contact book at" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(settings_file.read_text() + 'backend = "ftp"\n')
    result = run("--config", str(bad))
    assert result.exit_code == 2 and "plugins.crm-sync.backend" in result.output


def test_the_crm_credential_is_not_needed(settings_file, monkeypatch):
    monkeypatch.delenv("CRM_TOKEN_NOT_SET", raising=False)
    settings_file.write_text(settings_file.read_text() + 'backend = "http"\n'
                             'url = "https://crm.example/api"\n'
                             'auth = { env = "CRM_TOKEN_NOT_SET" }\n')
    result = run("--config", str(settings_file), "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 3
