"""Fixtures shared by the tests."""

from __future__ import annotations

import uuid

import pytest
import redis
from samples import PAYLOAD_NOW, REDIS_URL, Recorder


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def payload_clock():
    return lambda: PAYLOAD_NOW


@pytest.fixture
def redis_prefix():
    """A namespace of its own on the shared Redis; every key under it is deleted afterwards."""
    name = f"botkit-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{name}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """Install a plugin package for real (a dist-info with a ``botkit`` entry point) on
    ``sys.path``: ``install(name, source, schema=None)`` returns the package name."""
    import importlib
    import json
    import sys

    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    packages: list[str] = []

    def install(name: str, source: str, schema: dict | None = None,
                version: str = "1.0") -> str:
        package = "botkit_" + name.replace("-", "_")
        (site / package).mkdir()
        (site / package / "__init__.py").write_text(source)
        if schema is not None:
            (site / package / "config.schema.json").write_text(json.dumps(schema))
        dist = site / f"{package}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: botkit-{name}\nVersion: {version}\n")
        (dist / "entry_points.txt").write_text(f"[botkit]\n{name} = {package}\n")
        importlib.invalidate_caches()
        packages.append(package)
        return package

    yield install
    for package in packages:
        sys.modules.pop(package, None)


@pytest.fixture(params=["sqlite", "redis"])
def store(request) -> dict:
    """The ``[store]`` table for a bot, once per backend: the default SQLite file, or the shared
    Redis under a prefix of its own (short leases, so a test never waits long for one)."""
    if request.param == "sqlite":
        return {}
    prefix = request.getfixturevalue("redis_prefix")
    return {"url": f"{REDIS_URL}?prefix={prefix}&lease_ms=1000&partitions=4"}
