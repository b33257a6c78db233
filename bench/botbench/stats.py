"""Small order statistics shared by the load generators and the single-request timers."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values; 0.0 for an empty sequence."""
    if not sorted_values:
        return 0.0
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    rank = math.ceil(round(pct / 100 * len(sorted_values), 9))
    return sorted_values[max(rank, 1) - 1]


def median(values: Sequence[float]) -> float:
    """Middle value (lower middle for an even count), 0.0 for no values."""
    return percentile(sorted(values), 50) if values else 0.0
