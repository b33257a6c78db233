"""What one load run measured, whichever load generator produced it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class LoadResult:
    """Counts and latency of one measured run (latencies in milliseconds)."""

    tool: str
    requests: int
    duration_s: float
    non200: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    mean_ms: float
    max_ms: float
    socket_errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    wrapped: bool = False

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def failed(self) -> int:
        """Answers that were not 200 plus requests that got no answer at all."""
        return self.non200 + sum(self.socket_errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "requests_per_s": self.requests_per_s}
