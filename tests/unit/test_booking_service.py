"""The booking steps against an in-memory store and publisher (tests/unit/fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.errors import BookingConflictError, BookingNotConfirmableError, InvalidNotificationError
from booking.models import BookingNotification, BookingStatus, CancellationReason, ReserveBookingRequest
from booking.service import cancel_booking, confirm_booking, notify_booking, reserve_booking
from tests.unit.fakes import InMemoryBookingStore, RecordingPublisher

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"
UNKNOWN_BOOKING_ID = "11111111-2222-4333-8444-555555555555"
REQUEST = ReserveBookingRequest(
    booking_id=BOOKING_ID,
    customer_id="0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90",
    flight_id="SA101-2030-01-08",
    amount=12900,
    currency="EUR",
)


@pytest.fixture
def store() -> InMemoryBookingStore:
    return InMemoryBookingStore()


def test_a_reservation_stores_an_unconfirmed_booking(store: InMemoryBookingStore) -> None:
    result = reserve_booking(REQUEST, store, NOW)

    assert result.to_event() == {"bookingId": BOOKING_ID, "status": "UNCONFIRMED"}
    booking = store.bookings[BOOKING_ID]
    assert (booking.status, booking.amount, booking.currency, booking.created_at) == (
        "UNCONFIRMED",
        12900,
        "EUR",
        NOW,
    )


def test_a_retried_reservation_returns_the_first_and_changes_nothing(store: InMemoryBookingStore) -> None:
    first = reserve_booking(REQUEST, store, NOW)
    stored = store.bookings[BOOKING_ID]

    again = reserve_booking(REQUEST, store, LATER)

    assert again == first
    assert store.bookings == {BOOKING_ID: stored}


def test_another_booking_under_a_taken_id_is_a_conflict_and_changes_nothing(
    store: InMemoryBookingStore,
) -> None:
    reserve_booking(REQUEST, store, NOW)
    stored = store.bookings[BOOKING_ID]

    with pytest.raises(BookingConflictError):
        reserve_booking(REQUEST.model_copy(update={"amount": 1}), store, LATER)

    assert store.bookings == {BOOKING_ID: stored}


def test_confirming_gives_a_reference_and_a_retry_gives_the_same(store: InMemoryBookingStore) -> None:
    reserve_booking(REQUEST, store, NOW)

    first = confirm_booking(BOOKING_ID, store, NOW)
    again = confirm_booking(BOOKING_ID, store, LATER)

    assert first.status == "CONFIRMED"
    assert first.booking_reference is not None
    assert len(first.booking_reference) == 6
    assert again == first
    assert store.bookings[BOOKING_ID].confirmed_at == NOW


@pytest.mark.parametrize("cancelled_first", [True, False])
def test_a_cancelled_or_missing_booking_cannot_be_confirmed(
    store: InMemoryBookingStore, cancelled_first: bool
) -> None:
    reserve_booking(REQUEST, store, NOW)
    if cancelled_first:
        cancel_booking(BOOKING_ID, "PaymentDeclinedError", store, NOW)
    booking_id = BOOKING_ID if cancelled_first else UNKNOWN_BOOKING_ID
    before = dict(store.bookings)

    with pytest.raises(BookingNotConfirmableError, match=booking_id):
        confirm_booking(booking_id, store, LATER)

    assert store.bookings == before


def test_cancelling_is_idempotent(store: InMemoryBookingStore) -> None:
    reserve_booking(REQUEST, store, NOW)

    first = cancel_booking(BOOKING_ID, "PaymentDeclinedError", store, NOW)
    again = cancel_booking(BOOKING_ID, "NoSeatAvailable", store, LATER)

    assert first == again
    assert first.to_event() == {"bookingId": BOOKING_ID, "status": "CANCELLED"}
    assert store.bookings[BOOKING_ID].cancelled_at == NOW
    # The first cancellation's reason stays.
    assert store.bookings[BOOKING_ID].cancellation_reason is CancellationReason.PAYMENT_DECLINED


@pytest.mark.parametrize(
    ("saga_error", "reason"),
    [
        ("NoSeatAvailable", CancellationReason.SOLD_OUT),
        ("PaymentDeclinedError", CancellationReason.PAYMENT_DECLINED),
        ("PaymentMethodNotRegisteredError", CancellationReason.BOOKING_FAILED),
        ("States.Timeout", CancellationReason.BOOKING_FAILED),
        (None, CancellationReason.BOOKING_FAILED),
    ],
)
def test_the_customer_reads_why_a_booking_was_cancelled(
    store: InMemoryBookingStore, saga_error: str | None, reason: CancellationReason
) -> None:
    reserve_booking(REQUEST, store, NOW)

    cancel_booking(BOOKING_ID, saga_error, store, NOW)

    assert store.bookings[BOOKING_ID].cancellation_reason is reason


def test_cancelling_a_booking_that_was_never_created_creates_nothing(store: InMemoryBookingStore) -> None:
    result = cancel_booking(UNKNOWN_BOOKING_ID, None, store, NOW)

    assert result.to_event() == {"bookingId": UNKNOWN_BOOKING_ID, "status": "NO_SUCH_BOOKING"}
    assert store.bookings == {}


def _notification(status: BookingStatus, **details: object) -> BookingNotification:
    return BookingNotification.model_validate(
        {
            "bookingId": BOOKING_ID,
            "customerId": REQUEST.customer_id,
            "flightId": REQUEST.flight_id,
            "status": status,
            **details,
        }
    )


@pytest.mark.parametrize(
    "notification",
    [
        _notification(BookingStatus.CONFIRMED, bookingReference="Q7KX2M", amount=12900, currency="EUR"),
        _notification(BookingStatus.CANCELLED, reason="PaymentDeclinedError"),
    ],
)
def test_a_complete_notification_is_published(notification: BookingNotification) -> None:
    publisher = RecordingPublisher()

    assert notify_booking(notification, publisher) == "message-1"
    assert publisher.published == [notification]


def test_a_confirmed_notification_without_the_amount_is_not_published() -> None:
    publisher = RecordingPublisher()

    with pytest.raises(InvalidNotificationError):
        notify_booking(_notification(BookingStatus.CONFIRMED, bookingReference="Q7KX2M"), publisher)

    assert publisher.published == []
