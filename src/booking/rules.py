"""Booking rules, free of AWS: what a new booking looks like and how a booking is referenced."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from booking.errors import BookingConflictError, InvalidNotificationError
from booking.models import (
    Booking,
    BookingNotification,
    BookingStatus,
    CancellationReason,
    ReserveBookingRequest,
)

_REFERENCE_LENGTH = 6

_REASONS_BY_SAGA_ERROR = {
    "NoSeatAvailable": CancellationReason.SOLD_OUT,
    "PaymentDeclinedError": CancellationReason.PAYMENT_DECLINED,
}
"""The saga's error names (statemachine/booking.asl.json, payment.errors) a customer is told apart."""


def cancellation_reason(saga_error: str | None) -> CancellationReason:
    """What the customer reads of the saga error that cancelled a booking; BOOKING_FAILED for any other."""
    return _REASONS_BY_SAGA_ERROR.get(saga_error or "", CancellationReason.BOOKING_FAILED)


def new_booking(request: ReserveBookingRequest, now: datetime) -> Booking:
    return Booking(
        id=request.booking_id,
        customer_id=request.customer_id,
        flight_id=request.flight_id,
        status=BookingStatus.UNCONFIRMED,
        amount=request.amount,
        currency=request.currency,
        created_at=now,
    )


def ensure_same_booking(existing: Booking, requested: ReserveBookingRequest) -> Booking:
    """A retried reservation finds its own booking; anything else under that id is a conflict."""
    same = (
        existing.customer_id == requested.customer_id
        and existing.flight_id == requested.flight_id
        and existing.amount == requested.amount
        and existing.currency == requested.currency
    )
    if not same:
        raise BookingConflictError(f"booking {requested.booking_id} already exists with other details")
    return existing


def booking_reference(booking_id: str) -> str:
    """A short reference derived from the booking id, so every retry of Confirm gives the same one."""
    digest = hashlib.sha256(booking_id.encode()).digest()
    return base64.b32encode(digest).decode()[:_REFERENCE_LENGTH]


def check_notification(notification: BookingNotification) -> BookingNotification:
    if notification.status is BookingStatus.CONFIRMED and (
        notification.amount is None or notification.currency is None or not notification.booking_reference
    ):
        raise InvalidNotificationError("a CONFIRMED notification needs amount, currency and bookingReference")
    return notification
