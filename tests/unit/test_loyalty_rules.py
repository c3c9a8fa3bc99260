from __future__ import annotations

import pytest
from pydantic import ValidationError

from loyalty.models import BookingNotice
from loyalty.rules import points_for, summarise, tier_for

CONFIRMED = {
    "bookingId": "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31",
    "customerId": "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90",
    "status": "CONFIRMED",
    "amount": 12900,
    "currency": "EUR",
}


def test_points_are_the_amount_paid_in_minor_units() -> None:
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
