"""One target's figures in one scenario, as reported in the tables and the JSON output."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OK = "ok"
PENDING = "pending"
FAILED = "failed"


@dataclass
class Measurement:
    """Figures are None when the scenario does not produce them (see ``status`` and ``note``)."""

    target: str
    scenario: str
    status: str = OK
    note: str = ""
    requests: int = 0
    requests_per_s: float | None = None
    events_per_request: float | None = None
    events_per_s: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    p999_ms: float | None = None
    cpu_us_per_request: float | None = None
    peak_rss_mb: float | None = None
    non200: int = 0
    body_bytes: int | None = None
    time_to_200_ms: list[float] = field(default_factory=list)
    dispatched_ms: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def skipped(target: str, scenario: str, status: str, note: str) -> Measurement:
    """A row that says why there are no figures."""
    return Measurement(target=target, scenario=scenario, status=status, note=note)
