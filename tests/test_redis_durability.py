"""On a ``redis://`` store botkit says, at start-up and in ``botkit doctor store``, which Redis
setting can lose an event it acknowledged (appendonly, appendfsync, maxmemory-policy, replicas),
naming the setting. Real Redis servers: the shared one and private ones started per test."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from click.testing import CliRunner
from samples import free_port

from botkit.cli.doctor import doctor
from botkit.store._redis_checks import persistence_warnings
from botkit.store._redis_layout import parse_redis_url
from botkit.store.redis import RedisStore


@contextlib.contextmanager
def redis_server(tmp_path: Path, *args: str) -> Iterator[int]:
    """A private redis-server on a free port with ``args``; its port."""
    server = shutil.which("redis-server")
    assert server is not None, "redis-server is not installed"
    port = free_port()
    folder = tmp_path / f"redis-{port}"
    folder.mkdir()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--dir", str(folder), *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)
        yield port
    finally:
        client.close()
        process.kill()
        process.wait()


def doctor_store(tmp_path: Path, url: str):
    config = tmp_path / f"doctor-{abs(hash(url))}.toml"
    config.write_text(f'[whatsapp]\nverify_token = "v"\napp_secret = "s"\n'
                      f'[store]\nurl = "{url}"\n')
    return CliRunner().invoke(doctor, ["store", "--config", str(config)])


async def test_start_up_warns_when_redis_would_lose_acknowledged_events(tmp_path, caplog):
    with redis_server(tmp_path, "--appendonly", "no") as port:
        store = RedisStore(f"redis://127.0.0.1:{port}/0")
        with caplog.at_level(logging.WARNING, logger="botkit.store.redis"):
            await store.open()
        await store.close()
    [line] = [r.getMessage() for r in caplog.records if "appendonly" in r.getMessage()]
    assert line == (f"acknowledged events could be lost: Redis at redis://127.0.0.1:{port}/0 "
                    "has appendonly no: a restart of Redis loses every event acknowledged "
                    "since its last snapshot; set appendonly yes")


def test_doctor_store_names_each_risky_setting(tmp_path):
    with redis_server(tmp_path, "--appendonly", "yes", "--appendfsync", "always") as port:
        result = doctor_store(tmp_path, f"redis://127.0.0.1:{port}/0")
        assert result.exit_code == 0, result.output
        assert result.output.strip().endswith("ok: an acknowledged event survives a crash "
                                              "and a power cut")
    with redis_server(tmp_path, "--appendonly", "yes", "--appendfsync", "everysec",
                      "--maxmemory-policy", "allkeys-lru") as port:
        result = doctor_store(tmp_path, f"redis://127.0.0.1:{port}/0")
        assert result.exit_code == 1
        warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 2
        assert "appendfsync everysec" in warnings[0] and "set appendfsync always" in warnings[0]
        assert "maxmemory-policy allkeys-lru" in warnings[1]
    with redis_server(tmp_path, "--appendonly", "yes", "--appendfsync", "always") as primary, \
            redis_server(tmp_path, "--replicaof", "127.0.0.1", str(primary)):
        client = redis.Redis(port=primary)
        deadline = time.monotonic() + 10
        while client.info("replication")["connected_slaves"] < 1:
            assert time.monotonic() < deadline, "the replica did not connect"
            time.sleep(0.05)
        client.close()
        result = doctor_store(tmp_path, f"redis://127.0.0.1:{primary}/0")
        assert result.exit_code == 1
        assert "1 replica(s) and wait_replicas=0" in result.output
        result = doctor_store(tmp_path, f"redis://127.0.0.1:{primary}/0?wait_replicas=2")
        assert "wait_replicas=2: every append waits in vain" in result.output


def test_settings_that_cannot_be_read_are_named_too():
    options = parse_redis_url("redis://cache.internal:6379/0")
    unknown = {"appendonly": None, "appendfsync": None, "maxmemory-policy": None,
               "role": "master", "connected_slaves": "0"}
    warnings = persistence_warnings(unknown, options)
    assert [w.split(" (")[0] for w in warnings] == [
        "Redis at redis://cache.internal:6379/0 does not say whether appendonly is on",
        "Redis at redis://cache.internal:6379/0 does not say its appendfsync"]
    replica = {**unknown, "appendonly": "yes", "appendfsync": "always", "role": "slave"}
    assert "is a slave, not the primary" in persistence_warnings(replica, options)[0]
