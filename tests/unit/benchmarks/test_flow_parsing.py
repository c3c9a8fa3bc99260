"""Splitting `make test` into its targets and its test tiers."""

from __future__ import annotations

from benchmarks.flow import Share, target_shares, tier_shares


def test_each_target_lasts_until_the_next_one_starts() -> None:
    lines = [
        (0.0, "Makefile:68: update target 'lint' due to: .venv/.installed"),
        (0.5, ".venv/bin/ruff check ."),
        (2.0, "Makefile:72: update target 'typecheck' due to: .venv/.installed"),
        (9.0, "Makefile:81: target 'pytest' does not exist"),
    ]

    assert target_shares(lines, total_seconds=30.0) == [
        Share("lint", 2.0),
        Share("typecheck", 7.0),
        Share("pytest", 21.0),
    ]


def test_tiers_come_from_each_pytest_runs_durations() -> None:
    lines = [
        "============================= slowest durations ==============================",
        "12.50s setup    tests/e2e/test_booking_flows.py::test_a",
        "3.00s call     tests/e2e/test_booking_flows.py::test_a",
        "1.25s call     tests/unit/test_rules.py::test_b",
        "(20 durations < 0.005s hidden.  Use -vv to show these durations.)",
        "======================== 3 passed in 17.00s =========================",
        "============================= slowest durations ==============================",
        "2.00s call     tests/localcloud/test_x.py::test_c",
        "0.50s teardown tests/iam_eval/test_y.py::test_d",
    ]

    assert tier_shares(lines) == [
        Share("tests/e2e", 15.5),
        Share("tools/tests/localcloud", 2.0),
        Share("tests/unit", 1.25),
        Share("tools/tests/iam_eval", 0.5),
    ]
