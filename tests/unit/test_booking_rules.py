from __future__ import annotations

from datetime import UTC, datetime

import pytest

from booking.errors import BookingConflictError, InvalidNotificationError
from booking.models import BookingNotification, BookingStatus, ReserveBookingRequest
from booking.rules import booking_reference, check_notification, ensure_same_booking, new_booking

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
REQUEST = ReserveBookingRequest(
    booking_id="5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31",
    customer_id="0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90",
    flight_id="SA101-2030-01-08",
    amount=12900,
    currency="EUR",
)


def test_a_new_booking_is_unconfirmed_at_the_requested_price() -> None:
    booking = new_booking(REQUEST, NOW)

    assert booking.status is BookingStatus.UNCONFIRMED
    assert (booking.amount, booking.currency, booking.created_at) == (12900, "EUR", NOW)


def test_a_retried_reservation_recognises_its_own_booking() -> None:
    existing = new_booking(REQUEST, NOW)

    assert ensure_same_booking(existing, REQUEST) is existing


@pytest.mark.parametrize(
    "other",
    [
        {"customer_id": "11111111-2222-4333-8444-555555555555"},
        {"flight_id": "SA103-2030-01-08"},
        {"amount": 1},
        {"currency": "GBP"},
    ],
)
def test_a_different_booking_under_the_same_id_is_a_conflict(other: dict[str, object]) -> None:
    existing = new_booking(REQUEST.model_copy(update=other), NOW)

    with pytest.raises(BookingConflictError):
        ensure_same_booking(existing, REQUEST)


def test_the_booking_reference_is_short_stable_and_distinct() -> None:
    reference = booking_reference(REQUEST.booking_id)

    assert reference == booking_reference(REQUEST.booking_id)
    assert len(reference) == 6
    assert reference.isalnum()
    assert reference.isupper()
    assert reference != booking_reference("11111111-2222-4333-8444-555555555555")


def test_a_confirmed_notification_must_say_what_was_paid() -> None:
    notice = BookingNotification(
        booking_id=REQUEST.booking_id,
        customer_id=REQUEST.customer_id,
        flight_id=REQUEST.flight_id,
        status=BookingStatus.CONFIRMED,
        booking_reference="Q7KX2M",
    )

    with pytest.raises(InvalidNotificationError):
        check_notification(notice)
    complete = notice.model_copy(update={"amount": 12900, "currency": "EUR"})
    assert check_notification(complete) is complete


def test_a_cancelled_notification_needs_no_amount() -> None:
    notice = BookingNotification(
        booking_id=REQUEST.booking_id,
        customer_id=REQUEST.customer_id,
        flight_id=REQUEST.flight_id,
        status=BookingStatus.CANCELLED,
        reason="PaymentDeclinedError",
    )

    assert check_notification(notice) is notice
