"""Crediting notices and reading a customer's loyalty, against an in-memory ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from loyalty.models import BookingNotice
from loyalty.rules import MAX_POINTS_PER_BOOKING, POINTS_CAP
from loyalty.service import credit_booking, loyalty_of
from tests.unit.fakes import InMemoryPointsLedger

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
CUSTOMER_ID = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"


def notice(booking_id: str, **changes: Any) -> BookingNotice:
    return BookingNotice.model_validate(
        {
            "bookingId": booking_id,
            "customerId": CUSTOMER_ID,
            "status": "CONFIRMED",
            "amount": 12900,
            "currency": "EUR",
            **changes,
        }
    )


@pytest.fixture
def ledger() -> InMemoryPointsLedger:
    return InMemoryPointsLedger()


def test_a_confirmed_booking_is_credited_once(ledger: InMemoryPointsLedger) -> None:
    confirmed = notice("5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31")

    assert credit_booking(confirmed, ledger, NOW) == "CREDITED"
    assert credit_booking(confirmed, ledger, NOW) == "ALREADY_CREDITED"
    assert ledger.points_of(CUSTOMER_ID) == 12900


def test_a_cancelled_booking_earns_nothing_and_writes_nothing(ledger: InMemoryPointsLedger) -> None:
    cancelled = notice("5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31", status="CANCELLED", amount=None)

    assert credit_booking(cancelled, ledger, NOW) == "NOTHING_EARNED"
    assert ledger.credited == {}


def test_a_customer_never_credited_is_bronze_with_the_whole_way_to_silver(
    ledger: InMemoryPointsLedger,
) -> None:
    assert loyalty_of(CUSTOMER_ID, ledger).to_event() == {
        "points": 0,
        "level": "bronze",
        "remainingPoints": 50_000,
    }


def test_loyalty_is_the_sum_of_the_customers_credited_bookings(ledger: InMemoryPointsLedger) -> None:
    credit_booking(notice("5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31", amount=30_000), ledger, NOW)
    credit_booking(notice("9e2f4a61-7d3b-4c8e-a1f0-3b6d2c9e8a57", amount=25_000), ledger, NOW)
    credit_booking(
        notice("7a4c2d9e-0b1f-4e3a-9c8d-5f6e7a8b9c02", customerId="11111111-2222-4333-8444-555555555555"),
        ledger,
        NOW,
    )

    assert loyalty_of(CUSTOMER_ID, ledger).to_event() == {
        "points": 55_000,
        "level": "silver",
        "remainingPoints": 45_000,
    }


def test_a_booking_that_would_pass_the_cap_is_credited_up_to_it_and_recorded(
    ledger: InMemoryPointsLedger,
) -> None:
    ledger.credited[CUSTOMER_ID, "earlier"] = POINTS_CAP - 100

    outcome = credit_booking(notice("5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"), ledger, NOW)
    at_the_cap = credit_booking(notice("9e2f4a61-7d3b-4c8e-a1f0-3b6d2c9e8a57"), ledger, NOW)

    assert (outcome, at_the_cap) == ("CAPPED", "CAPPED")
    assert ledger.points_of(CUSTOMER_ID) == POINTS_CAP
    # Both bookings count as credited: a redelivered notice changes nothing.
    assert ledger.credited[CUSTOMER_ID, "9e2f4a61-7d3b-4c8e-a1f0-3b6d2c9e8a57"] == 0
    assert credit_booking(notice("9e2f4a61-7d3b-4c8e-a1f0-3b6d2c9e8a57"), ledger, NOW) == "ALREADY_CREDITED"


def test_a_booking_reaching_the_cap_exactly_is_credited_in_full(ledger: InMemoryPointsLedger) -> None:
    ledger.credited[CUSTOMER_ID, "earlier"] = POINTS_CAP - MAX_POINTS_PER_BOOKING

    assert (
        credit_booking(notice("5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31", amount=500_000), ledger, NOW)
        == "CREDITED"
    )
    assert ledger.points_of(CUSTOMER_ID) == POINTS_CAP
