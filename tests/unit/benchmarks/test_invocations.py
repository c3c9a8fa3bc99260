"""Memory and duration per function, from the local cloud's REPORT figures."""

from __future__ import annotations

import pytest

from benchmarks.invocations import gb_seconds, suggested_memory_mb, summarize
from benchmarks.support import InvocationReport


def report(duration_ms: float, memory_used_mb: int, init_ms: float | None = None) -> InvocationReport:
    return InvocationReport("r", duration_ms, 256, memory_used_mb, init_ms)


@pytest.mark.parametrize(("peak", "suggested"), [(40, 128), (85, 128), (86, 129), (200, 300), (9000, 10240)])
def test_the_suggested_size_leaves_half_again_the_peak_within_lambdas_limits(
    peak: int, suggested: int
) -> None:
    assert suggested_memory_mb(peak) == suggested


def test_warm_durations_and_cold_inits_are_summarized_apart() -> None:
    [runtime] = summarize(
        {"Reserve": [report(900.0, 60, init_ms=1500.0), report(20.0, 62), report(30.2, 61)]},
        {"Reserve": 256, "NeverInvoked": 256},
    )

    assert runtime.invocations == 3
    assert runtime.cold_starts == 1
    assert runtime.duration_ms is not None
    assert runtime.duration_ms.median == pytest.approx(25.1)
    assert runtime.init_ms is not None
    assert runtime.init_ms.median == 1500.0
    assert runtime.peak_memory_mb == 62
    assert runtime.billed_ms == 26
    assert runtime.gb_seconds_per_million(256) == pytest.approx(gb_seconds(26, 256) * 1_000_000)


def test_gb_seconds_are_seconds_times_gigabytes() -> None:
    assert gb_seconds(1000, 512) == 0.5
