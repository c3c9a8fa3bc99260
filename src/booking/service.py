"""The booking steps of the saga, written against the repository so they can be tested without AWS."""

from __future__ import annotations

from datetime import datetime

from booking.errors import BookingNotConfirmableError
from booking.models import BookingNotification, BookingStepResult, ReserveBookingRequest
from booking.repository import BookingNotifier, BookingRepository
from booking.rules import booking_reference, check_notification, ensure_same_booking, new_booking


def reserve_booking(
    request: ReserveBookingRequest, repository: BookingRepository, now: datetime
) -> BookingStepResult:
    booking = new_booking(request, now)
    existing = repository.create(booking)
    if existing is not None:
        booking = ensure_same_booking(existing, request)
    return BookingStepResult(booking_id=booking.id, status=booking.status)


def confirm_booking(booking_id: str, repository: BookingRepository, now: datetime) -> BookingStepResult:
    booking = repository.confirm(booking_id, booking_reference(booking_id), now)
    if booking is None:
        raise BookingNotConfirmableError(f"booking {booking_id} does not exist or was cancelled")
    return BookingStepResult(
        booking_id=booking.id, status=booking.status, booking_reference=booking.booking_reference
    )


def cancel_booking(booking_id: str, repository: BookingRepository, now: datetime) -> BookingStepResult:
    booking = repository.cancel(booking_id, now)
    if booking is None:
        return BookingStepResult(booking_id=booking_id, status="NOT_FOUND")
    return BookingStepResult(booking_id=booking.id, status=booking.status)


def notify_booking(notification: BookingNotification, notifier: BookingNotifier) -> str:
    return notifier.publish(check_notification(notification))
