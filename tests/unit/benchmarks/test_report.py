"""The report says what was measured, marks each function against its target, and says so when a
section was not run."""

from __future__ import annotations

from benchmarks.coldstart import ColdStart, ProcessMeasurement
from benchmarks.flow import CommandTiming, Level, Share
from benchmarks.flow import TestTiming as MakeTestTiming  # not a test class
from benchmarks.importtime import ImportEntry, Phase
from benchmarks.machine import Machine
from benchmarks.packages import Package
from benchmarks.pricing import load_prices
from benchmarks.report import MB, NOT_MEASURED, history_table, render, table
from benchmarks.results import Options, Results
from benchmarks.stats import Summary
from benchmarks.work import HistoryRead

MACHINE = Machine(
    cores=2,
    cpu_model="Test CPU",
    memory_gib=8.0,
    python="CPython 3.13.0",
    system="Linux",
    load_average=(1.0, 1.0, 1.0),
    taken_at="2030-01-01 00:00 UTC",
)


def options() -> Options:
    return Options(
        mode="full",
        command="make bench",
        runs=2,
        sections=["cold-start"],
        functions=None,
        booking_levels=[1],
        bookings_per_client=1,
        loyalty_levels=[1],
        reads_per_reader=1,
        history_sizes=[1],
        warm_up=True,
        startups=1,
    )


def process(cpu: float) -> ProcessMeasurement:
    return ProcessMeasurement(
        cpu_seconds=cpu,
        wall_seconds=cpu * 1.1,
        init_seconds=cpu / 2,
        invocation_seconds=0.01,
        peak_rss_kib=65536,
        outcome="ok",
    )


def cold_start(function: str, function_cpu: list[float], floor_cpu: list[float]) -> ColdStart:
    return ColdStart(
        function=function,
        handler=f"{function.lower()}.handler",
        outcome="ok",
        clients=["dynamodb"],
        calls=["dynamodb.GetItem"],
        imports=[ImportEntry(f"{function.lower()}", 100, 900_000, 0, Phase.INIT)],
        floors=[process(cpu) for cpu in floor_cpu],
        inits=[process(cpu) for cpu in function_cpu],
    )


def results() -> Results:
    return Results(options=options(), machine=MACHINE, prices=load_prices())


def test_each_function_is_marked_against_its_floor() -> None:
    measured = results()
    measured.cold_starts = [
        cold_start("FastFunction", [1.2, 1.25], [1.0, 1.0]),
        cold_start("SlowFunction", [2.0, 2.2], [1.0, 1.0]),
    ]

    report = render(measured)

    fast = next(line for line in report.splitlines() if line.startswith("| FastFunction"))
    slow = next(line for line in report.splitlines() if line.startswith("| SlowFunction"))
    assert "1.23x (IQR" in fast
    assert fast.endswith("| yes |")
    assert "2.10x (IQR" in slow
    assert slow.endswith("| **no** |")
    assert "**1 of 2 functions are within 1.3x of their floor** (CPU, median)." in report
    assert "`fastfunction`" in report  # its heaviest imports


def test_each_package_is_marked_against_the_size_target() -> None:
    measured = results()
    measured.packages = [
        Package("SmallFunction", "build/SmallFunction", 10, 9 * MB, 4 * MB, [], ["common"]),
        Package("LargeFunction", "build/LargeFunction", 10, 46 * MB, 15 * MB, [], ["common", "loyalty"]),
    ]

    report = render(measured)

    small = next(line for line in report.splitlines() if line.startswith("| SmallFunction"))
    large = next(line for line in report.splitlines() if line.startswith("| LargeFunction"))
    assert "| 9.0 | 4.0 |" in small
    assert small.endswith("| yes |")
    assert "| 46.0 | 15.0 |" in large
    assert large.endswith("| **no** |")
    assert "**1 of 2 functions are under 10.0 MB unzipped.**" in report


def test_sections_that_did_not_run_say_so() -> None:
    report = render(results())

    assert report.count(NOT_MEASURED) >= 4
    assert "CPU | Test CPU, 2 cores" in report


def test_the_local_flow_is_reported_with_its_throttled_share() -> None:
    measured = results()
    measured.loyalty_levels = [
        Level(
            clients=5,
            per_client=20,
            completed=88,
            refused=12,
            failed=0,
            seconds=4.0,
            latency_seconds=Summary.of([0.1, 0.2]),
            latency_p95_seconds=0.3,
        )
    ]
    measured.commands = [CommandTiming("make demo (warm)", 19.4, True)]

    report = render(measured)

    assert "| 5 | 88 of 100 | 22.0 | 0.15 | 0.30 | 12 (12%) | 0 |" in report
    assert "**make demo (warm)**: 19 s." in report


def test_a_history_table_lists_both_designs() -> None:
    rendered = history_table(
        [
            HistoryRead("GetLoyalty", 10_000, 129_000_000, 1, 1, 0.5),
            HistoryRead("archived", 10_000, 129_000_000, 3, 10_000, 140.0),
        ]
    )

    assert "| 10,000 | archived | 129,000,000 | 3 | 10,000 | 140.0 |" in rendered


def test_table_cells_cannot_break_the_table() -> None:
    assert table(("a",), [("x|y",)]).splitlines()[-1] == "| x\\|y |"


def test_each_make_test_run_says_which_static_answers_it_had_kept() -> None:
    measured = results()
    shares = [Share("test", 90.0)]
    measured.make_tests = [
        MakeTestTiming(120.0, True, shares, [], static_answers_kept_before=0, static_answers_asked=70),
        MakeTestTiming(90.0, True, shares, [], static_answers_kept_before=70, static_answers_asked=0),
    ]

    report = render(measured)

    assert "**make test**: 2.0 min, its build already up to date, no static answers kept" in report
    assert "cfn-lint and checkov asked 70 times" in report
    assert "**make test**: 1.5 min, its build already up to date, 70 of cfn-lint's and checkov's" in report
    assert "kept by the run before (nothing changed since), 0 asked again" in report
