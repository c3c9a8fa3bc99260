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
    """Warm invocations while the local cloud served one request at a time (a cold start's first
    invocation also pays for lazy imports, so it is left out)."""
    loaded_duration_ms: Summary | None
    """Warm invocations during the concurrent flow, when the functions shared the machine's cores."""
    init_ms: Summary | None
    """Cold starts while the local cloud served one request at a time (any cold start if none did)."""
    peak_memory_mb: int
    suggested_memory_mb: int

    @property
    def billed_ms(self) -> int | None:
        """The median warm invocation, as Lambda bills it (1 ms increments): one request at a time,
        under load if that is all there is."""
        duration = self.duration_ms or self.loaded_duration_ms
        return None if duration is None else math.ceil(duration.median)

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
    alone: Mapping[str, Iterable[InvocationReport]],
    under_load: Mapping[str, Iterable[InvocationReport]],
    memory_sizes: Mapping[str, int],
) -> list[FunctionRuntime]:
    """One line per function of ``memory_sizes`` (logical id -> configured MB) that ran at least once:
    ``alone`` are the reports of invocations made one request at a time, ``under_load`` the others."""
    runtimes = []
    for function, memory_size in memory_sizes.items():
        quiet, busy = list(alone.get(function, [])), list(under_load.get(function, []))
        if not quiet and not busy:
            continue
        inits = _inits(quiet) or _inits(busy)
        runtimes.append(
            FunctionRuntime(
                function=function,
                memory_size_mb=memory_size,
                invocations=len(quiet) + len(busy),
                cold_starts=len(_inits(quiet)) + len(_inits(busy)),
                duration_ms=_warm(quiet),
                loaded_duration_ms=_warm(busy),
                init_ms=Summary.of(inits) if inits else None,
                peak_memory_mb=(peak := max(report.max_memory_used_mb for report in [*quiet, *busy])),
                suggested_memory_mb=suggested_memory_mb(peak),
            )
        )
    return runtimes


def _warm(reports: list[InvocationReport]) -> Summary | None:
    durations = [report.duration_ms for report in reports if report.init_duration_ms is None]
    return Summary.of(durations) if durations else None


def _inits(reports: list[InvocationReport]) -> list[float]:
    return [report.init_duration_ms for report in reports if report.init_duration_ms is not None]
