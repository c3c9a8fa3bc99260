"""Memory and duration per function, from the local cloud's REPORT figures."""

from __future__ import annotations

import pytest

from benchmarks.invocations import gb_seconds, suggested_memory_mb, summarize
from benchmarks.stats import Summary
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
        {"Reserve": [report(300.0, 64), report(3000.0, 63, init_ms=4000.0)]},
        {"Reserve": 256, "NeverInvoked": 256},
    )

    assert runtime.invocations == 5
    assert runtime.cold_starts == 2
    assert runtime.duration_ms is not None
    assert runtime.duration_ms.median == pytest.approx(25.1)
    assert runtime.loaded_duration_ms == Summary.of([300.0])
    assert runtime.init_ms == Summary.of([1500.0])  # the one that started alone
    assert runtime.peak_memory_mb == 64
    assert runtime.billed_ms == 26
    assert runtime.gb_seconds_per_million(256) == pytest.approx(gb_seconds(26, 256) * 1_000_000)


def test_without_a_quiet_invocation_the_loaded_ones_are_what_there_is() -> None:
    [runtime] = summarize({}, {"Get": [report(41.5, 70, init_ms=900.0), report(41.5, 70)]}, {"Get": 128})

    assert runtime.duration_ms is None
    assert runtime.billed_ms == 42
    assert runtime.init_ms == Summary.of([900.0])


def test_gb_seconds_are_seconds_times_gigabytes() -> None:
    assert gb_seconds(1000, 512) == 0.5
