from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from common.models import CamelModel, CurrencyCode, FlightId, MinorUnits, Uuid


class BookingStatus(StrEnum):
    UNCONFIRMED = "UNCONFIRMED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class ReserveBookingRequest(CamelModel):
    booking_id: Uuid
    customer_id: Uuid
    flight_id: FlightId
    amount: MinorUnits
    currency: CurrencyCode


class BookingRequest(CamelModel):
    """Confirm acts on a booking by id only."""

    booking_id: Uuid


class CancellationReason(StrEnum):
    """Why a booking was cancelled, as its customer reads it (getBooking)."""

    SOLD_OUT = "SOLD_OUT"
    """No seat was left when the saga tried to take one (or the flight departed meanwhile)."""
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    BOOKING_FAILED = "BOOKING_FAILED"
    """Anything else that made the saga give the booking up (a missing registration, a failed step)."""


class CancelBookingRequest(CamelModel):
    """Cancel acts on a booking by id, with the name of the saga error that made it cancel."""

    booking_id: Uuid
    error: str | None = Field(default=None, max_length=256)


class Booking(CamelModel):
    id: Uuid
    customer_id: Uuid
    flight_id: FlightId
    status: BookingStatus
    amount: MinorUnits
    currency: CurrencyCode
    created_at: datetime
    booking_reference: str | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancellation_reason: CancellationReason | None = None


class BookingStepResult(CamelModel):
    """What Reserve and Confirm return to the saga (ReserveBooking's ``status``, ConfirmBooking's
    ``bookingReference``)."""

    booking_id: Uuid
    status: BookingStatus
    booking_reference: str | None = None


class CancellationStatus(StrEnum):
    CANCELLED = "CANCELLED"
    NO_SUCH_BOOKING = "NO_SUCH_BOOKING"
    """The saga compensates steps that may never have run: there was nothing to cancel."""


class CancellationResult(CamelModel):
    booking_id: Uuid
    status: CancellationStatus


class BookingNotification(CamelModel):
    """What NotifyBooking publishes. Confirmed notices carry the amount charged (loyalty credits it)."""

    booking_id: Uuid
    customer_id: Uuid
    flight_id: FlightId
    status: Literal[BookingStatus.CONFIRMED, BookingStatus.CANCELLED]
    booking_reference: str | None = None
    amount: MinorUnits | None = None
    currency: CurrencyCode | None = None
    reason: str | None = None
