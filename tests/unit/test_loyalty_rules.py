from __future__ import annotations

import pytest
from pydantic import ValidationError

from loyalty.models import BookingNotice
from loyalty.rules import (
    MAX_POINTS_PER_BOOKING,
    POINTS_CAP,
    creditable,
    points_for,
    summarise,
    tier_for,
)

CONFIRMED = {
    "bookingId": "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31",
    "customerId": "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90",
    "status": "CONFIRMED",
    "amount": 12900,
    "currency": "EUR",
}


def test_a_euro_earns_a_hundred_points() -> None:
    assert points_for(BookingNotice.model_validate(CONFIRMED)) == 12900


def test_a_cancelled_booking_earns_no_points() -> None:
    notice = BookingNotice.model_validate({**CONFIRMED, "status": "CANCELLED"})

    assert points_for(notice) == 0


def test_a_confirmed_notice_without_an_amount_is_invalid() -> None:
    with pytest.raises(ValidationError, match="needs amount and currency"):
        BookingNotice.model_validate({**CONFIRMED, "amount": None})


def test_fields_the_loyalty_service_does_not_use_are_ignored() -> None:
    notice = BookingNotice.model_validate({**CONFIRMED, "flightId": "SA101", "bookingReference": "Q7"})

    assert points_for(notice) == 12900


@pytest.mark.parametrize(
    ("points", "level"),
    [
        (0, "bronze"),
        (49_999, "bronze"),
        (50_000, "silver"),
        (99_999, "silver"),
        (100_000, "gold"),
        (1_000_000, "gold"),
    ],
)
def test_tier_boundaries(points: int, level: str) -> None:
    assert tier_for(points) == level


@pytest.mark.parametrize(
    ("points", "level", "remaining"),
    [
        (0, "bronze", 50_000),
        (49_999, "bronze", 1),
        (50_000, "silver", 50_000),
        (99_999, "silver", 1),
        (100_000, "gold", 0),
        (250_000, "gold", 0),
    ],
)
def test_remaining_points_count_to_the_next_tier(points: int, level: str, remaining: int) -> None:
    assert summarise(points).to_event() == {"points": points, "level": level, "remainingPoints": remaining}


@pytest.mark.parametrize(
    ("amount", "currency", "points"),
    [(12900, "EUR", 12900), (12900, "GBP", 14835), (12900, "USD", 11610), (1, "USD", 0), (99, "GBP", 113)],
)
def test_each_currency_earns_at_its_rate_in_one_points_unit(amount: int, currency: str, points: int) -> None:
    notice = BookingNotice.model_validate({**CONFIRMED, "amount": amount, "currency": currency})

    assert points_for(notice) == points


def test_a_currency_without_an_earning_rate_earns_nothing() -> None:
    notice = BookingNotice.model_validate({**CONFIRMED, "currency": "JPY"})

    assert points_for(notice) == 0


@pytest.mark.parametrize(
    ("amount", "currency", "points"),
    [
        (500_000, "EUR", MAX_POINTS_PER_BOOKING),  # exactly the most a booking earns
        (434_783, "GBP", MAX_POINTS_PER_BOOKING),  # 500,000.45 points: rounded down to the maximum
        (434_784, "GBP", MAX_POINTS_PER_BOOKING),  # 500,001.6 points: one over, held at the maximum
        (500_000, "GBP", MAX_POINTS_PER_BOOKING),
    ],
)
def test_a_booking_earns_at_most_the_per_booking_maximum(amount: int, currency: str, points: int) -> None:
    notice = BookingNotice.model_validate({**CONFIRMED, "amount": amount, "currency": currency})

    assert points_for(notice) == points


@pytest.mark.parametrize(
    ("points", "total", "credited"),
    [
        (12_900, 0, 12_900),
        (12_900, POINTS_CAP - 12_900, 12_900),  # reaches the cap exactly
        (12_900, POINTS_CAP - 12_899, 12_899),  # one over: the point beyond the cap is not credited
        (12_900, POINTS_CAP - 1, 1),
        (12_900, POINTS_CAP, 0),  # at the cap: nothing more
        (12_900, POINTS_CAP + 5, 0),  # a total recorded before the cap existed
    ],
)
def test_a_total_never_passes_the_cap(points: int, total: int, credited: int) -> None:
    assert creditable(points, total) == credited


def test_the_cap_fits_graphqls_int_with_a_bookings_worth_to_spare() -> None:
    assert POINTS_CAP + MAX_POINTS_PER_BOOKING < 2**31 - 1


def test_a_total_above_the_cap_reads_as_the_cap() -> None:
    assert summarise(POINTS_CAP + 1).to_event() == {
        "points": POINTS_CAP,
        "level": "gold",
        "remainingPoints": 0,
    }
