"""`botkit meta-networks` against a whois server on loopback that answers like RADb, and a
running bot that follows the file it writes."""

from __future__ import annotations

import asyncio
import logging
import re
import socket

import pytest
from click.testing import CliRunner
from samples import payload_bytes

from botkit.cli.main import cli
from botkit.testing import BotRunner, make_settings

BODY = payload_bytes("message_text.json")
RADB_OBJECTS = """\
route:          157.240.0.0/16
descr:          Facebook, Inc.
                1601 Willow Rd.
origin:         AS32934
mnt-by:         MAINT-AS32934
changed:        noc@fb.com 20120807  #16:31:03Z
source:         RADB

route6:         2a03:2880::/32
descr:          Facebook IPv6
origin:         AS32934
mnt-by:         MAINT-AS32934
source:         RADB

route:          31.13.24.0/21
descr:          Facebook, Inc.
origin:         AS32934
remarks:        route: 10.0.0.0/8 is not a route of this object
source:         RADB

route:          157.240.0.0/16
descr:          the same network, registered again by another maintainer
origin:         AS32934
source:         ALTDB
"""


class FakeWhois:
    """A whois server (RFC 3912) on loopback: reads one query line, answers, closes."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.queries: list[bytes] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> FakeWhois:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.queries.append(await reader.readuntil(b"\r\n"))
        for start in range(0, len(self.answer), 200):  # in pieces, like a real network
            writer.write(self.answer[start:start + 200].encode())
            await writer.drain()
        writer.close()


async def refresh(whois: FakeWhois, output, *extra: str):
    args = ["meta-networks", "--server", "127.0.0.1", "--port", str(whois.port),
            "--output", str(output), "--timeout", "5", *extra]
    return await asyncio.to_thread(CliRunner().invoke, cli, args)


def networks_in(path) -> list[str]:
    return [line for line in path.read_text().splitlines() if not line.startswith("#")]


async def test_first_refresh_writes_sorted_unique_routes_with_a_header(tmp_path):
    output = tmp_path / "meta-networks.txt"
    async with FakeWhois(RADB_OBJECTS) as whois:
        result = await refresh(whois, output)
    assert result.exit_code == 0, result.output
    assert whois.queries == [b"-i origin AS32934\r\n"]
    assert networks_in(output) == ["31.13.24.0/21", "157.240.0.0/16", "2a03:2880::/32"]
    header = output.read_text().splitlines()[:2]
    assert header[0] == "# Networks of AS32934 (route and route6 objects from 127.0.0.1),"
    assert re.fullmatch(r"# refreshed \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by `botkit "
                        r"meta-networks`; the next refresh replaces this file\.", header[1])
    assert result.output == (f"wrote 3 networks of AS32934 to {output}\n"
                             "no previous file: every network is new\n")


async def test_a_refresh_shows_what_changed_since_the_last_one(tmp_path):
    output = tmp_path / "meta-networks.txt"
    async with FakeWhois(RADB_OBJECTS) as whois:
        await refresh(whois, output)
        first_stamp = output.read_text().splitlines()[1].split()[2]
        unchanged = await refresh(whois, output)
        whois.answer = RADB_OBJECTS.replace("31.13.24.0/21", "129.134.0.0/17") + (
            "\nroute6:         2620:0:1c00::/40\norigin:         AS32934\n")
        changed = await refresh(whois, output, "--asn", "32934")
    assert unchanged.output.splitlines()[1] == (
        f"no change since the last refresh (refreshed {first_stamp})")
    assert changed.exit_code == 0
    assert changed.output.splitlines()[1:] == [
        f"since the last refresh (refreshed {first_stamp}): 2 added, 1 removed",
        "+ 129.134.0.0/17",
        "+ 2620:0:1c00::/40",
        "- 31.13.24.0/21",
    ]
    assert networks_in(output) == ["129.134.0.0/17", "157.240.0.0/16", "2620:0:1c00::/40",
                                   "2a03:2880::/32"]


async def test_an_answer_without_routes_leaves_the_file_alone(tmp_path):
    output = tmp_path / "meta-networks.txt"
    output.write_text("157.240.0.0/16\n")
    async with FakeWhois("%  No entries found for the selected source(s).\n") as whois:
        result = await refresh(whois, output, "--asn", "as64496")
    assert whois.queries == [b"-i origin AS64496\r\n"]
    assert result.exit_code == 1
    assert result.output == (
        f"error: whois server 127.0.0.1:{whois.port} gave no routes for AS64496 (it said: %  "
        "No entries found for the selected source(s).); the file was left as it was\n")
    assert output.read_text() == "157.240.0.0/16\n"


async def test_unreachable_server_and_bad_asn_are_clear_errors(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connection refused
        result = await asyncio.to_thread(CliRunner().invoke, cli, [
            "meta-networks", "--server", "127.0.0.1", "--port", str(port),
            "--output", str(tmp_path / "n.txt")])
    assert result.exit_code == 1
    assert result.output == (f"error: cannot ask whois server 127.0.0.1:{port}: "
                             "Connection refused\n")
    bad = CliRunner().invoke(cli, ["meta-networks", "--asn", "meta"])
    assert bad.exit_code == 2
    assert "'meta' is not an AS number (e.g. AS32934)" in bad.output
    assert not (tmp_path / "n.txt").exists()


async def test_a_running_bot_follows_the_refreshed_file(tmp_path, caplog):
    output = tmp_path / "meta-networks.txt"
    caplog.set_level(logging.INFO, "botkit.allowlist")
    async with FakeWhois(RADB_OBJECTS) as whois:
        assert (await refresh(whois, output)).exit_code == 0
        settings = make_settings(tmp_path, security={
            "allowed_networks": {"file": str(output), "recheck_seconds": 0.05}})
        async with BotRunner(settings) as runner:
            assert (await runner.post(BODY)).status_code == 403  # 127.0.0.1 is not Meta
            whois.answer = RADB_OBJECTS + "\nroute:          127.0.0.0/8\norigin:  AS32934\n"
            assert "+ 127.0.0.0/8" in (await refresh(whois, output)).output
            assert await eventually_status(runner, 200)
            output.write_text("127.0.0.0/8\nthis is not a network\n")  # a broken hand edit
            await asyncio.sleep(0.1)
            assert (await runner.post(BODY)).status_code == 200  # the last good list holds
            output.write_text("10.0.0.0/8\n")
            assert await eventually_status(runner, 403)
    messages = [r.getMessage() for r in caplog.records if r.name == "botkit.allowlist"]
    assert f"allowed networks reloaded from {output}: 4 networks (1 added, 0 removed)" in messages
    assert any(m.startswith("allowed networks not reloaded, keeping the previous 4:")
               and "line 2" in m for m in messages)
    assert f"allowed networks reloaded from {output}: 1 networks (1 added, 4 removed)" in messages


async def eventually_status(runner: BotRunner, status: int, timeout: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if (await runner.post(BODY)).status_code == status:
            return True
        await asyncio.sleep(0.02)
    return False


@pytest.mark.parametrize("line", ["route: 157.240.0.1/16", "route6: not-a-prefix"])
async def test_route_values_that_are_not_networks_fail_the_refresh(tmp_path, line):
    async with FakeWhois(RADB_OBJECTS + f"\n{line}\n") as whois:
        result = await refresh(whois, tmp_path / "n.txt")
    assert result.exit_code == 1
    assert "gave route values that are not networks" in result.output
    assert not (tmp_path / "n.txt").exists()
