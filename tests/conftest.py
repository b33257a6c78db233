"""Fixtures shared by the tests."""

from __future__ import annotations

import pytest
from samples import PAYLOAD_NOW, Recorder


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def payload_clock():
    return lambda: PAYLOAD_NOW
