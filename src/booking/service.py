"""The booking steps of the saga, written against the protocols below: the handlers pass the DynamoDB
repository and the SNS notifier (booking.repository), the unit tests pass in-memory fakes."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from booking.errors import BookingNotConfirmableError
from booking.models import (
    Booking,
    BookingNotification,
    BookingStepResult,
    CancellationReason,
    CancellationResult,
    CancellationStatus,
    ReserveBookingRequest,
)
from booking.rules import (
    booking_reference,
    cancellation_reason,
    check_notification,
    ensure_same_booking,
    new_booking,
)


class BookingStore(Protocol):
    def create(self, booking: Booking) -> Booking | None:
        """Store a new booking unless its id is taken; returns the booking stored under that id before."""
        ...

    def confirm(self, booking_id: str, reference: str, now: datetime) -> Booking | None:
        """Confirm an UNCONFIRMED or CONFIRMED booking; None if it is missing or cancelled."""
        ...

    def cancel(self, booking_id: str, reason: CancellationReason, now: datetime) -> Booking | None:
        """Cancel an existing booking for ``reason`` (again, if it already is: the first reason and time
        stay); None if there is no such booking."""
        ...


class NotificationPublisher(Protocol):
    def publish(self, notification: BookingNotification) -> str:
        """Publish a booking's outcome; returns the message id."""
        ...


def reserve_booking(request: ReserveBookingRequest, store: BookingStore, now: datetime) -> BookingStepResult:
    booking = new_booking(request, now)
    existing = store.create(booking)
    if existing is not None:
        booking = ensure_same_booking(existing, request)
    return BookingStepResult(booking_id=booking.id, status=booking.status)


def confirm_booking(booking_id: str, store: BookingStore, now: datetime) -> BookingStepResult:
    booking = store.confirm(booking_id, booking_reference(booking_id), now)
    if booking is None:
        raise BookingNotConfirmableError(f"booking {booking_id} does not exist or was cancelled")
    return BookingStepResult(
        booking_id=booking.id, status=booking.status, booking_reference=booking.booking_reference
    )


def cancel_booking(
    booking_id: str, saga_error: str | None, store: BookingStore, now: datetime
) -> CancellationResult:
    if store.cancel(booking_id, cancellation_reason(saga_error), now) is None:
        return CancellationResult(booking_id=booking_id, status=CancellationStatus.NO_SUCH_BOOKING)
    return CancellationResult(booking_id=booking_id, status=CancellationStatus.CANCELLED)


def notify_booking(notification: BookingNotification, publisher: NotificationPublisher) -> str:
    return publisher.publish(check_notification(notification))
