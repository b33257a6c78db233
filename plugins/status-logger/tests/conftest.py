"""Status payloads, a clock near their timestamps, and a bot with status-logger enabled."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(os.environ.get("BOTKIT_SHARED_DIR")
              or Path(__file__).resolve().parents[3].parent / "shared")
PAYLOADS = SHARED / "whatsapp" / "payloads"
PAYLOAD_NOW = 1782900000 + 3600


class Payloads:
    def load(self, name: str) -> dict[str, Any]:
        return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))

    def status(self, wamid: str, status: str, timestamp: int, **fields: Any) -> dict[str, Any]:
        """status_read.json turned into any status of any message."""
        payload = self.load("status_read.json")
        item = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
        item.update(id=wamid, status=status, timestamp=str(timestamp), **fields)
        return payload


@pytest.fixture
def payloads() -> Payloads:
    return Payloads()


@pytest.fixture
def payload_clock():
    return lambda: PAYLOAD_NOW


@pytest.fixture
def logger_paths(tmp_path) -> dict[str, str]:
    return {"path": str(tmp_path / "out" / "statuses.jsonl"),
            "db_path": str(tmp_path / "out" / "statuses.db")}


@pytest.fixture
def start_status_logger(botkit_runner_factory, payload_clock, logger_paths):
    """``await start_status_logger()``: a running bot with status-logger writing to
    ``logger_paths``."""

    async def start(**options):
        return await botkit_runner_factory(
            enabled_plugins=["status-logger"], plugins={"status-logger": logger_paths},
            clock=payload_clock, **options)

    return start
