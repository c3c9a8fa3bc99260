"""Memory and duration per invocation, from the REPORT figures of every invocation the local cloud ran,
and what the configured MemorySize costs next to a right-sized one."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from benchmarks.stats import Summary
from benchmarks.support import InvocationReport

HEADROOM = 1.5
"""A suggested size leaves this much room over the measured peak."""
SMALLEST_LAMBDA_MB = 128
LARGEST_LAMBDA_MB = 10_240


@dataclass(frozen=True)
class FunctionRuntime:
    function: str
    memory_size_mb: int
    invocations: int
    cold_starts: int
    duration_ms: Summary | None
    """Warm invocations only (a cold start's first invocation also pays for lazy imports)."""
    init_ms: Summary | None
    peak_memory_mb: int
    suggested_memory_mb: int

    @property
    def billed_ms(self) -> int | None:
        """The median warm invocation, as Lambda bills it (1 ms increments)."""
        return None if self.duration_ms is None else math.ceil(self.duration_ms.median)

    def gb_seconds_per_million(self, memory_mb: int) -> float | None:
        if self.billed_ms is None:
            return None
        return gb_seconds(self.billed_ms, memory_mb) * 1_000_000


def gb_seconds(billed_ms: float, memory_mb: int) -> float:
    return billed_ms / 1000 * memory_mb / 1024


def suggested_memory_mb(peak_mb: int, headroom: float = HEADROOM) -> int:
    """The smallest Lambda memory size with ``headroom`` over the peak (within Lambda's limits)."""
    return min(LARGEST_LAMBDA_MB, max(SMALLEST_LAMBDA_MB, math.ceil(peak_mb * headroom)))


def summarize(
    reports: Mapping[str, Iterable[InvocationReport]], memory_sizes: Mapping[str, int]
) -> list[FunctionRuntime]:
    """One line per function of ``memory_sizes`` (logical id -> configured MB) that ran at least once."""
    runtimes = []
    for function, memory_size in memory_sizes.items():
        runs = list(reports.get(function, []))
        if not runs:
            continue
        warm = [report.duration_ms for report in runs if report.init_duration_ms is None]
        inits = [report.init_duration_ms for report in runs if report.init_duration_ms is not None]
        peak = max(report.max_memory_used_mb for report in runs)
        runtimes.append(
            FunctionRuntime(
                function=function,
                memory_size_mb=memory_size,
                invocations=len(runs),
                cold_starts=len(inits),
                duration_ms=Summary.of(warm) if warm else None,
                init_ms=Summary.of(inits) if inits else None,
                peak_memory_mb=peak,
                suggested_memory_mb=suggested_memory_mb(peak),
            )
        )
    return runtimes
