"""Medians, quartiles and paired ratios: what every speed in the report is built from."""

from __future__ import annotations

import pytest

from benchmarks.stats import Summary, paired_ratios, percentile


def test_a_summary_has_the_median_quartiles_and_extremes() -> None:
    summary = Summary.of([5.0, 1.0, 3.0, 2.0, 4.0])

    assert summary == Summary(count=5, median=3.0, q1=2.0, q3=4.0, minimum=1.0, maximum=5.0)


def test_an_even_sample_has_the_mean_of_its_middle_pair_as_median() -> None:
    assert Summary.of([1.0, 2.0, 3.0, 10.0]).median == 2.5


def test_a_summary_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Summary.of([])


def test_scaling_changes_the_unit_of_every_figure() -> None:
    scaled = Summary.of([0.1, 0.2, 0.4]).scaled(1000)

    assert scaled.count == 3
    assert (scaled.minimum, scaled.q1, scaled.median, scaled.q3, scaled.maximum) == pytest.approx(
        (100.0, 150.0, 200.0, 300.0, 400.0)
    )


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.0, 10.0), (0.5, 25.0), (0.95, 38.5), (1.0, 40.0)],
)
def test_percentiles_interpolate_between_neighbouring_ranks(fraction: float, expected: float) -> None:
    assert percentile([40.0, 10.0, 30.0, 20.0], fraction) == pytest.approx(expected)


def test_a_percentile_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="within"):
        percentile([1.0], 1.5)


def test_each_measurement_is_divided_by_its_own_floor() -> None:
    assert paired_ratios([2.0, 9.0], [1.0, 3.0]) == [2.0, 3.0]


def test_unpaired_measurements_are_refused() -> None:
    with pytest.raises(ValueError, match="pair up"):
        paired_ratios([1.0, 2.0], [1.0])


def test_a_floor_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        paired_ratios([1.0], [0.0])
