"""Medians, spreads and ratios of repeated measurements."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """A sample of measurements: its size, median, quartiles and extremes."""

    count: int
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            raise ValueError("a summary needs at least one measurement")
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            median=statistics.median(ordered),
            q1=percentile(ordered, 0.25),
            q3=percentile(ordered, 0.75),
            minimum=ordered[0],
            maximum=ordered[-1],
        )

    def scaled(self, factor: float) -> Summary:
        """The same sample in another unit (seconds -> milliseconds...)."""
        return Summary(
            count=self.count,
            median=self.median * factor,
            q1=self.q1 * factor,
            q3=self.q3 * factor,
            minimum=self.minimum * factor,
            maximum=self.maximum * factor,
        )


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile, interpolated linearly between the closest ranks (as numpy's default)."""
    if not values:
        raise ValueError("a percentile needs at least one measurement")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within [0, 1], not {fraction}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Each measurement over its own pair's floor: pairs taken back to back share the machine's
    momentary load, so their ratio is steadier than a ratio of medians."""
    if len(numerators) != len(denominators):
        raise ValueError(f"{len(numerators)} measurements but {len(denominators)} floors: they must pair up")
    if any(denominator <= 0 for denominator in denominators):
        raise ValueError("a floor must be positive")
    return [numerator / denominator for numerator, denominator in zip(numerators, denominators, strict=True)]
