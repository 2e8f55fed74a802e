"""Percentiles and the small formatting helpers the report uses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks; NaN when empty."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """Distribution of a set of durations, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float
    min: float
    mean: float

    @classmethod
    def of_seconds(cls, samples: Sequence[float]) -> Summary:
        ms = [s * 1000 for s in samples]
        return cls(
            count=len(ms),
            p50=percentile(ms, 50),
            p95=percentile(ms, 95),
            p99=percentile(ms, 99),
            max=max(ms) if ms else math.nan,
            min=min(ms) if ms else math.nan,
            mean=sum(ms) / len(ms) if ms else math.nan,
        )

    def line(self) -> str:
        return (
            f"n={self.count:<4} p50={fmt_ms(self.p50)}  p95={fmt_ms(self.p95)}  p99={fmt_ms(self.p99)}  "
            f"max={fmt_ms(self.max)}  min={fmt_ms(self.min)}  mean={fmt_ms(self.mean)}"
        )


def fmt_ms(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value / 1000:.2f} s"
    if abs(value) >= 100:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms"


def verdict(value: float, limit: float) -> str:
    """'ok' or 'MISSED' for a measured value against an upper bound (same unit)."""
    if math.isnan(value):
        return "n/a"
    return "ok" if value < limit else "MISSED"
