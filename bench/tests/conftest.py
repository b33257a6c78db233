"""Shared fixtures: the harness on sys.path, per-test secrets, small pools, a live raw server."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from botbench.payloads import text_bodies  # noqa: E402
from botbench.pools import RequestPool, write_pool  # noqa: E402
from botbench.process import ServerProcess, free_port  # noqa: E402
from botbench.targets import Secrets, peer_spec  # noqa: E402


@pytest.fixture
def bench_secrets() -> Secrets:
    return Secrets(app_secret="test-app-secret-0123456789", verify_token="test-verify-token")


@pytest.fixture
def text_pool(tmp_path: Path, bench_secrets: Secrets) -> RequestPool:
    return write_pool(tmp_path / "pools", "text", text_bodies(0, 300), bench_secrets.app_secret)


@pytest.fixture
def forged_pool(tmp_path: Path) -> RequestPool:
    """Same bodies, signed with the wrong secret: every answer must be 403."""
    return write_pool(tmp_path / "forged", "forged", text_bodies(0, 50), "not-the-app-secret")


@pytest.fixture
def start_peer(bench_secrets: Secrets, tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start baseline servers as real processes; all of them are stopped after the test."""
    started: list[ServerProcess] = []

    def start(target: str, server: str = "uvicorn") -> ServerProcess:
        spec = peer_spec(target, server, free_port(), bench_secrets, tmp_path)
        process = ServerProcess(spec, tmp_path / f"{target}-{server}.log")
        process.start(timeout=30)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def raw_server(start_peer: Callable[..., ServerProcess]) -> ServerProcess:
    return start_peer("raw")
